/**
 * One run over every target (stream × group) of the settings, within one shared `MAX_RUN_SEC`.
 * A single configured target is exactly today's run (runReclaim, same summary, same errors);
 * several run a few at a time on the one connection, their pages interleaving, so small
 * targets finish even while a huge backlog takes most of the budget.
 */
import { describeTarget, isSingleTarget, type Settings } from '../config/settings';
import { mapRedisError } from '../errors';
import { zeroCounts, type Counts } from './counts';
import { runReclaim, type RunOptions, type Summary } from './run';
import { resolveTargets, specOf, type Target, type UnresolvedTarget } from './targets';
import type { StopReason } from './stop';

/** A target whose run failed: its own error; the other targets still ran. */
export interface FailedTarget {
  stream: string;
  group: string;
  error: string;
}

export type TargetSummary = Summary | FailedTarget;

/** A target's own failure entry: an unresolvable target's error, or what its run (or read) threw. */
export function failedTarget(target: Target | UnresolvedTarget, error: unknown = 'error' in target ? target.error : undefined): FailedTarget {
  return { stream: target.stream, group: target.group, error: error instanceof Error ? error.message : String(error) };
}

/** The run's summary: today's fields (totals for several targets), and each target's own. */
export interface RunSummary extends Summary {
  /** Present when the settings name several targets (or a pattern, or `*`). */
  targets?: TargetSummary[];
}

/**
 * Targets run at once: enough that a huge one never holds back the small ones (and that the
 * shards of a small cluster work at the same time), few enough not to flood one connection.
 */
export const TARGETS_AT_ONCE = 4;

export const isFailed = (t: TargetSummary): t is FailedTarget => 'error' in t;

/** The failed targets of a summary (none for a single target: its failure is thrown). */
export const failedTargets = (s: RunSummary): FailedTarget[] => (s.targets ?? []).filter(isFailed);

export async function runTargets(options: RunOptions): Promise<RunSummary> {
  const { settings } = options;
  if (isSingleTarget(settings.targets)) return runReclaim(options);
  const now = options.now ?? Date.now;
  const started = now();
  const deadline = started + settings.maxRunMs;
  // Discovery failing (SCAN refused, connection lost) fails the whole run, named like a single run's error.
  const resolved = await resolveTargets(options.client, settings).catch((error: unknown) => {
    throw mapRedisError(error, { target: describeTarget(settings), stream: label(settings), group: settings.groupName, secrets: [settings.redisPassword] });
  });
  const one = async (target: Target | UnresolvedTarget): Promise<TargetSummary> => {
    if ('error' in target) return failedTarget(target);
    try {
      // Each target gets what is left of the one budget when it starts.
      return await runReclaim({ ...options, now, settings: { ...targetSettings(settings, target), maxRunMs: Math.max(0, deadline - now()) } });
    } catch (error) {
      return failedTarget(target, error);
    }
  };
  const targets = await mapBounded(resolved, TARGETS_AT_ONCE, one);
  return totals(settings, targets, Math.max(0, Math.round(now() - started)));
}

/** One target's settings: its stream and group, and that stream's default keys unless set explicitly. */
export function targetSettings(settings: Settings, target: Target): Settings {
  const spec = specOf(settings);
  return {
    ...settings,
    streamName: target.stream,
    groupName: target.group,
    deadLetterStream: spec.deadLetterStream ?? `${target.stream}:dlq`,
    hashKeyPrefix: spec.hashKeyPrefix ?? `${target.stream}:`,
    targets: { streams: [target.stream], groups: [target.group], deadLetterStream: spec.deadLetterStream, hashKeyPrefix: spec.hashKeyPrefix },
  };
}

/** Results in input order; at most `limit` calls pending at once. */
async function mapBounded<T, U>(items: readonly T[], limit: number, fn: (item: T) => Promise<U>): Promise<U[]> {
  const results: U[] = new Array<U>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The configured streams, as written: the `STREAM_NAME` text, or the pattern. */
function label(settings: Settings): string {
  const spec = specOf(settings);
  return 'pattern' in spec ? spec.pattern : settings.streamName;
}

const SEVERITY: readonly StopReason[] = ['covered', 'budget', 'interrupted'];
const COUNT_FIELDS = Object.keys(zeroCounts()) as (keyof Counts)[];

function totals(settings: Settings, targets: TargetSummary[], durationMs: number): RunSummary {
  const ran = targets.filter((t): t is Summary => !isFailed(t));
  const counts = zeroCounts();
  for (const t of ran) for (const field of COUNT_FIELDS) counts[field] += t[field];
  const stopReason = ran.reduce<StopReason>((worst, t) => (SEVERITY.indexOf(t.stopReason) > SEVERITY.indexOf(worst) ? t.stopReason : worst), 'covered');
  return {
    stream: label(settings),
    group: settings.groupName,
    ...counts,
    deregistered: ran.reduce((n, t) => n + t.deregistered, 0),
    durationMs,
    // A failed target covered nothing: the run is not complete (stopReason tells the targets that ran).
    complete: ran.length === targets.length && ran.every((t) => t.complete),
    stopReason,
    dryRun: settings.dryRun,
    targets,
  };
}
