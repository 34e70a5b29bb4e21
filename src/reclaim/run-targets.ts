/**
 * One run over every target (stream × group) of the settings, within one shared `MAX_RUN_SEC`.
 * A single configured target is exactly today's run (runReclaim, same summary, same errors);
 * several share the budget fairly (src/reclaim/fair-share.ts): a few at a time per shard, each
 * turn a fair share of what is left, so small targets finish even while a huge backlog takes
 * most of the budget, and targets on different cluster masters are worked at the same time.
 */
import { Cluster } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { describeTarget, isSingleTarget, type Settings } from '../config/settings';
import { DiscoveryTimeoutError, mapRedisError } from '../errors';
import type { RedisClient } from '../redis/client';
import { silentLogger } from '../telemetry/logger';
import { zeroCounts, type Counts } from './counts';
import { shareBudget } from './fair-share';
import { runReclaim, type RunOptions, type Summary } from './run';
import { stopCondition, type StopReason } from './stop';
import { SCAN_COUNT, resolveTargets, specOf, isStopped, type Target, type UnresolvedTarget } from './targets';

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
 * Targets of one shard (a cluster master, or the one server) run at once: enough that a huge one
 * never holds back the small ones, few enough not to flood one connection. Shards run side by side.
 */
export const TARGETS_PER_SHARD = 4;

export const isFailed = (t: TargetSummary): t is FailedTarget => 'error' in t;

/** The failed targets of a summary (none for a single target: its failure is thrown). */
export const failedTargets = (s: RunSummary): FailedTarget[] => (s.targets ?? []).filter(isFailed);

export async function runTargets(options: RunOptions): Promise<RunSummary> {
  const { settings } = options;
  if (isSingleTarget(settings.targets)) return runReclaim(options);
  const now = options.now ?? Date.now;
  const started = now();
  const deadline = started + settings.maxRunMs;
  const discovery = stopCondition({ now, started, maxRunMs: settings.maxRunMs }, options.signal);
  // Discovery failing (SCAN refused, connection lost) fails the whole run, named like a single run's error.
  const resolved = await resolveTargets(options.client, settings, discovery.stop).catch((error: unknown) => {
    throw mapRedisError(error, { target: describeTarget(settings), stream: label(settings), group: settings.groupName, secrets: [settings.redisPassword] });
  });
  if (isStopped(resolved)) {
    // Interrupted: an empty run, reported as such. Out of time: no run can ever find its targets.
    if (discovery.reason(false) === 'interrupted') return totals(settings, [], Math.max(0, Math.round(now() - started)), 'interrupted');
    throw new DiscoveryTimeoutError(
      `Finding the streams of \`STREAM_PATTERN\` \`${label(settings)}\` on ${describeTarget(settings)} took all of \`MAX_RUN_SEC\` ` +
        `(${settings.maxRunMs / 1000} s: ${resolved.calls} SCAN calls of ${SCAN_COUNT} keys, ${resolved.mastersDone} of ${resolved.masters} masters done); ` +
        `no target was run: raise \`MAX_RUN_SEC\`, or list the streams in \`STREAM_NAME\``,
    );
  }
  const logger = options.logger ?? silentLogger;
  // The summary holds a failure too, but a log search for a target should find it.
  const failed = (target: Target | UnresolvedTarget, error?: unknown): FailedTarget => {
    const entry = failedTarget(target, error);
    logger.error('target failed', { ...entry });
    return entry;
  };
  const turn = async (target: Target | UnresolvedTarget, budgetMs: number): Promise<TargetSummary> => {
    if ('error' in target) return failed(target);
    // Not reached: the run was interrupted, or the budget spent, before this turn. No command is sent.
    if (options.signal?.aborted || budgetMs <= 0) return notReached(settings, target, options.signal?.aborted ? 'interrupted' : 'budget');
    try {
      return await runReclaim({ ...options, now, settings: { ...targetSettings(settings, target), maxRunMs: budgetMs } });
    } catch (error) {
      return failed(target, error);
    }
  };
  const targets = await shareBudget(resolved, {
    now,
    deadline,
    perShard: TARGETS_PER_SHARD,
    shardOf: shardOf(options.client),
    run: turn,
    wantsMore: (t) => !isFailed(t) && t.stopReason === 'budget',
    merge: mergeTurns,
  });
  return totals(settings, targets, Math.max(0, Math.round(now() - started)));
}

/** A target's summary when its turn came after the run stopped: nothing done, not covered. */
function notReached(settings: Settings, target: Target, stopReason: Exclude<StopReason, 'covered'>): Summary {
  return { stream: target.stream, group: target.group, ...zeroCounts(), deregistered: 0, durationMs: 0, complete: false, stopReason, dryRun: settings.dryRun };
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

/** The master serving a stream's slot on a cluster (slots are known once a command has run); one shard otherwise. */
export function shardOf(client: RedisClient): (target: Target) => string {
  if (!(client instanceof Cluster)) return () => 'server';
  return (target) => client.slots[calculateSlot(target.stream)]?.[0] ?? 'unknown';
}

/** A target's turns as one summary: counts add up; the last turn says how it ended. A failed turn is the target's failure. */
function mergeTurns(earlier: TargetSummary, later: TargetSummary): TargetSummary {
  if (isFailed(earlier) || isFailed(later)) return later;
  return { ...later, ...added([earlier, later]), durationMs: earlier.durationMs + later.durationMs };
}

/** The configured streams, as written: the `STREAM_NAME` text, or the pattern. */
function label(settings: Settings): string {
  const spec = specOf(settings);
  return 'pattern' in spec ? spec.pattern : settings.streamName;
}

const SEVERITY: readonly StopReason[] = ['covered', 'budget', 'interrupted'];
const SUMMED = [...Object.keys(zeroCounts()), 'deregistered'] as (keyof Counts | 'deregistered')[];

/** The summaries' counts and `deregistered`, added up: a target's turns, or the run's targets. */
function added(summaries: readonly Summary[]): Counts & { deregistered: number } {
  const sum = { ...zeroCounts(), deregistered: 0 };
  for (const s of summaries) for (const field of SUMMED) sum[field] += s[field];
  return sum;
}

/** The run's summary over its targets; `interrupted` when it was stopped before any target ran. */
function totals(settings: Settings, targets: TargetSummary[], durationMs: number, interrupted?: 'interrupted'): RunSummary {
  const ran = targets.filter((t): t is Summary => !isFailed(t));
  const stopReason = ran.reduce<StopReason>((worst, t) => (SEVERITY.indexOf(t.stopReason) > SEVERITY.indexOf(worst) ? t.stopReason : worst), interrupted ?? 'covered');
  return {
    stream: label(settings),
    group: settings.groupName,
    ...added(ran),
    durationMs,
    // A failed target covered nothing: the run is not complete (stopReason tells the targets that ran).
    complete: interrupted === undefined && ran.length === targets.length && ran.every((t) => t.complete),
    stopReason,
    dryRun: settings.dryRun,
    targets,
  };
}
