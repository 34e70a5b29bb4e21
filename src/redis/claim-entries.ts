/**
 * The general path's claim script (src/redis/scripts/claim-entries.lua), typed: claimed entries
 * with the count each claim produced, orphans, skipped, deferred by backoff, and those at the
 * limit counting earlier copies.
 */
import { callScript, type RedisClient } from './scripts';

export interface ClaimedEntry {
  readonly id: string;
  /** Delivery count after this run's claim: the fence for settling. */
  readonly deliveries: number;
  /** Field names and values, alternating, in order, binary-safe. */
  readonly fields: readonly Buffer[];
}

/** An entry not claimed because its deliveries that count reached MAX_DELIVERIES, as the claim script saw it. */
export interface OverLimit {
  readonly id: string;
  readonly consumer: string;
  /** Its own delivery count (the fence). */
  readonly deliveries: number;
  readonly idleMs: number;
  /** Its own plus its `reclaim.deliveries`: the record's `dlq.deliveries`. */
  readonly total: number;
}

export interface ClaimReply {
  claimed: ClaimedEntry[];
  orphaned: string[];
  skipped: string[];
  /** Not yet due under backoff: untouched. */
  deferred: string[];
  /** At the limit counting earlier copies: untouched, for the caller to dead-letter. */
  over: OverLimit[];
}

export const emptyClaim = (): ClaimReply => ({ claimed: [], orphaned: [], skipped: [], deferred: [], over: [] });

export async function claimEntries(
  client: RedisClient,
  stream: string,
  args: {
    group: string;
    consumer: string;
    minIdleMs: number;
    maxDeliveries: number;
    backoffMaxMs: number | undefined;
    claim: boolean;
    ids: readonly string[];
  },
): Promise<ClaimReply> {
  const argv = [
    args.group,
    args.consumer,
    args.minIdleMs,
    args.maxDeliveries,
    args.backoffMaxMs ?? '',
    args.claim ? 'claim' : 'none',
    ...args.ids,
  ];
  type Over = [Buffer, Buffer, number, number, number];
  const reply = (await callScript(client, 'claimEntries', [stream], argv)) as [
    [Buffer, number, Buffer[]][],
    Buffer[],
    Buffer[],
    Buffer[],
    Over[],
  ];
  return {
    claimed: reply[0].map(([id, deliveries, fields]) => ({ id: id.toString(), deliveries, fields })),
    orphaned: reply[1].map(String),
    skipped: reply[2].map(String),
    deferred: reply[3].map(String),
    over: reply[4].map(([id, consumer, deliveries, idleMs, total]) => ({
      id: id.toString(),
      consumer: consumer.toString(),
      deliveries,
      idleMs,
      total,
    })),
  };
}
