/**
 * `stats` and `/api/status` over several targets (stream × group, from a list, `*` or
 * `STREAM_PATTERN`): each target's own stats object, as for one; a target that cannot be read
 * (missing stream or group, a key of another type) is its own `{stream, group, error}`.
 */
import type { Settings } from '../config/settings';
import type { RedisClient } from '../redis/client';
import { failedTarget, targetSettings, type FailedTarget } from '../reclaim/run-targets';
import { resolveTargets } from '../reclaim/targets';
import { collectStats, type GroupStats } from './stats';

export type TargetStats = GroupStats | FailedTarget;

export const isFailedStats = (t: TargetStats): t is FailedTarget => 'error' in t;

export async function collectTargetStats(client: RedisClient, settings: Settings, options: { sample: number }): Promise<TargetStats[]> {
  const targets = await resolveTargets(client, settings);
  return Promise.all(
    targets.map(async (target): Promise<TargetStats> => {
      if ('error' in target) return failedTarget(target);
      try {
        return await collectStats(client, targetSettings(settings, target), options);
      } catch (error) {
        return failedTarget(target, error);
      }
    }),
  );
}
