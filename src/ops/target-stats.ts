/**
 * `stats` and `/api/status` over several targets (stream × group, from a list, `*` or
 * `STREAM_PATTERN`): each target's own stats object, as for one; a target that cannot be read
 * (missing stream or group, a key of another type) is its own `{stream, group, error}`.
 */
import type { Settings } from '../config/settings';
import type { RedisClient } from '../redis/client';
import { runTarget } from '../config/run-target';
import { failedTarget, type FailedTarget } from '../reclaim/run-targets';
import {
  isStopped,
  resolveTargets,
  SCAN_COUNT,
  specOf,
  targetsOf,
  type Target,
  type UnresolvedTarget,
} from '../reclaim/targets';
import { stopCondition } from '../reclaim/stop';
import { collectStats, type GroupStats } from './stats';

export type TargetStats = GroupStats | FailedTarget;

export const isFailedStats = (t: TargetStats): t is FailedTarget => 'error' in t;

export async function collectTargetStats(
  client: RedisClient,
  settings: Settings,
  options: { sample: number },
): Promise<TargetStats[]> {
  return statsOf(client, settings, await resolveTargets(client, settings), options);
}

/**
 * How long `/api/status` looks for the streams of `STREAM_PATTERN` (SCAN over every master, about
 * a second per million keys): a dashboard's request must answer, not hang on a huge keyspace.
 */
export const STATUS_DISCOVERY_MS = 3_000;

/** `/api/status` over several targets; `partial` (with why) when discovery was cut short. */
export interface TargetStatus {
  targets: TargetStats[];
  partial?: true;
  reason?: string;
}

/** The targets' stats with discovery bounded by `discoveryMs`: past it, the streams found so far, marked partial. */
export async function collectTargetStatus(
  client: RedisClient,
  settings: Settings,
  options: { sample: number; discoveryMs?: number; now?: () => number },
): Promise<TargetStatus> {
  const now = options.now ?? Date.now;
  const discoveryMs = options.discoveryMs ?? STATUS_DISCOVERY_MS;
  const { stop } = stopCondition({ now, deadline: now() + discoveryMs });
  const found = await resolveTargets(client, settings, stop);
  if (!isStopped(found)) return { targets: await statsOf(client, settings, found, options) };
  const spec = specOf(settings);
  const pattern = 'pattern' in spec ? spec.pattern : settings.streamName;
  const reason =
    `finding the streams of \`STREAM_PATTERN\` \`${pattern}\` took longer than ${discoveryMs / 1000} s ` +
    `(${found.calls} SCAN calls of ${SCAN_COUNT} keys, ${found.mastersDone} of ${found.masters} masters done): ` +
    `only the ${found.found.length} streams found by then are listed`;
  return {
    targets: await statsOf(client, settings, await targetsOf(client, settings, found.found), options),
    partial: true,
    reason,
  };
}

function statsOf(
  client: RedisClient,
  settings: Settings,
  targets: readonly (Target | UnresolvedTarget)[],
  options: { sample: number },
): Promise<TargetStats[]> {
  return Promise.all(
    targets.map(async (target): Promise<TargetStats> => {
      if ('error' in target) return failedTarget(target);
      try {
        const { stream, group, deadLetterStream } = runTarget(settings, target);
        return await collectStats(
          client,
          { ...settings, streamName: stream, groupName: group, deadLetterStream },
          options,
        );
      } catch (error) {
        return failedTarget(target, error);
      }
    }),
  );
}
