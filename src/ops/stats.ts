/**
 * The group at a glance (`stats`, GET /api/status). Cost is bounded on huge groups: XINFO
 * GROUPS/CONSUMERS, the XPENDING summary, one one-entry XPENDING range for the oldest entry
 * (no IDLE option, so Redis 6.0 works), two XLENs and one XREVRANGE … COUNT sample of the
 * dead-letter stream. Nothing scans the PEL or a stream; with RETRY_BACKOFF_MAX_SEC set, the
 * deferred count looks at the oldest 1,000 pending entries only (src/ops/deferred-stats.ts).
 */
import { mapRedisError, missingGroupError } from '../redis/reply-errors';
import { parseRecord } from '../redis/record';
import type { RedisClient } from '../redis/client';
import { flatMap, flatNumber, groupInfo, groupNames, oldestPending, type Flat } from '../redis/group-health';
import { describeServer, type Settings } from '../config/settings';
import { replyContext } from '../config/run-target';
import { deferredStats, type DeferredStats } from './deferred-stats';

export const DEFAULT_REASON_SAMPLE = 100;

/** Field names are a public contract (docs/design.md §4, docs/operations.md): add, never rename. */
export interface ConsumerStats {
  name: string;
  /** Entries delivered to it and not yet acknowledged. */
  pending: number;
  /** ms since its last attempted interaction (read, claim). */
  idleMs: number;
  /** ms since its last successful interaction; null where the server lacks it (< 7.2) or it never had one. */
  inactiveMs: number | null;
}

export interface GroupStats extends DeferredStats {
  stream: string;
  group: string;
  /** Entries in the stream (XLEN). */
  streamLength: number;
  /** Size of the group's PEL. */
  pending: number;
  /** ID of the oldest pending entry (lowest ID); null when nothing is pending. */
  oldestPendingId: string | null;
  /** Idle time of that entry; null when nothing is pending. */
  oldestIdleMs: number | null;
  /** Entries not yet delivered to the group; null where the server cannot tell (< 7.0, or after deletions). */
  lag: number | null;
  lastDeliveredId: string;
  deadLetterStream: string;
  /** Records in the dead-letter stream (XLEN). */
  deadLetters: number;
  /** Count per `dlq.reason` among the newest `deadLetterSample` records. */
  deadLetterReasons: Record<string, number>;
  /** How many of the newest records the reasons were counted from. */
  deadLetterSample: number;
  consumers: ConsumerStats[];
}

export async function collectStats(
  client: RedisClient,
  settings: Pick<
    Settings,
    'streamName' | 'groupName' | 'deadLetterStream' | 'redisHost' | 'redisPort' | 'redisPath' | 'redisPassword'
  > &
    Partial<Pick<Settings, 'minIdleMs' | 'maxDeliveries' | 'retryBackoffMaxMs'>>,
  options: { sample?: number } = {},
): Promise<GroupStats> {
  const { streamName: stream, groupName: group, deadLetterStream: dlq } = settings;
  const sample = options.sample ?? DEFAULT_REASON_SAMPLE;
  try {
    const info = await groupInfo(client, stream, group);
    // Named with the groups there are: the stream exists (XINFO GROUPS would have failed), the group does not.
    if (!info)
      throw missingGroupError({ server: describeServer(settings), stream, group }, await groupNames(client, stream));
    const backoff = { minIdleMs: 0, maxDeliveries: 1, ...settings };
    const [consumers, oldest, streamLength, deadLetters, newest, deferred] = await Promise.all([
      client.call('XINFO', 'CONSUMERS', stream, group) as Promise<Flat[]>,
      oldestPending(client, stream, group),
      client.xlen(stream),
      client.xlen(dlq),
      sample > 0 ? client.xrevrangeBuffer(dlq, '+', '-', 'COUNT', sample) : Promise.resolve([]),
      deferredStats(client, backoff),
    ]);
    const reasons: Record<string, number> = {};
    for (const [id, items] of newest as [Buffer, Buffer[]][]) {
      const reason = parseRecord(id.toString(), items)?.reason ?? '(not a dead-letter record)';
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
    return {
      stream,
      group,
      streamLength,
      pending: oldest.pending,
      oldestPendingId: oldest.id,
      oldestIdleMs: oldest.idleMs,
      lag: flatNumber(info.get('lag')),
      lastDeliveredId: String(info.get('last-delivered-id')),
      deadLetterStream: dlq,
      deadLetters,
      deadLetterReasons: reasons,
      deadLetterSample: newest.length,
      consumers: consumers.map(flatMap).map((c) => {
        const inactive = flatNumber(c.get('inactive'));
        return {
          name: String(c.get('name')),
          pending: flatNumber(c.get('pending')) ?? 0,
          idleMs: flatNumber(c.get('idle')) ?? 0,
          // 7.2+ reports -1 for a consumer that never had a successful interaction.
          inactiveMs: inactive === null || inactive < 0 ? null : inactive,
        };
      }),
      // Added after the original fields: the JSON's field order is part of what people parse.
      ...deferred,
    };
  } catch (error) {
    throw mapRedisError(error, replyContext(settings, { stream, group }));
  }
}
