/**
 * One run over every target (stream × group) of the settings, within one shared `MAX_RUN_SEC`.
 * A single configured target is exactly today's run (runReclaim, same summary, same errors);
 * several share the budget fairly (src/reclaim/fair-share.ts): a few at a time per shard, each
 * turn a fair share of what is left, so small targets finish even while a huge backlog takes
 * most of the budget, and targets on different cluster masters are worked at the same time.
 * A target's later turn resumes after the last pending ID its earlier turn covered.
 */
import { Cluster } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { describeServer, isSingleTarget, type Settings } from '../config/settings';
import { replyContext, runTarget } from '../config/run-target';
import { DiscoveryTimeoutError } from '../errors';
import { mapRedisError } from '../redis/reply-errors';
import type { RedisClient } from '../redis/client';
import { silentLogger } from '../telemetry/logger';
import { zeroCounts, type Counts } from './counts';
import { shareBudget } from './fair-share';
import { runTurn, type RunOptions, type Summary, type TurnCursor } from './run';
import { stopCondition, type StopReason } from './stop';
import {
  failedEntry,
  isFailed,
  mergeTurns,
  totals,
  type FailedTarget,
  type RunSummary,
  type TargetSummary,
} from './target-totals';
import { SCAN_COUNT, resolveTargets, specOf, isStopped, type Target, type UnresolvedTarget } from './targets';

export { failedTargets, isFailed, type FailedTarget, type RunSummary, type TargetSummary } from './target-totals';

/** A target's own failure entry: an unresolvable target's error, or what its run (or read) threw. */
export function failedTarget(
  target: Target | UnresolvedTarget,
  error: unknown = 'error' in target ? target.error : undefined,
): FailedTarget {
  return failedEntry(target, error);
}

/** What a caller of several targets may follow besides the summary (the CLI's progress display). */
export interface RunTargetsOptions extends RunOptions {
  /** How many targets the run has, once they are known (after discovery); not called for a single target. */
  onTargets?: (count: number) => void;
  /** A target that will not run again this run, with its summary (or failure). */
  onTargetDone?: (summary: TargetSummary) => void;
}

/**
 * Targets of one shard (a cluster master, or the one server) run at once: enough that a huge one
 * never holds back the small ones, few enough not to flood one connection. Shards run side by side.
 */
export const TARGETS_PER_SHARD = 4;

export async function runTargets(options: RunTargetsOptions): Promise<RunSummary> {
  const { settings } = options;
  if (isSingleTarget(settings.targets)) return runTurn(options);
  const now = options.now ?? Date.now;
  const started = now();
  const deadline = options.deadline ?? started + settings.maxRunMs;
  const run = { stream: label(settings), group: settings.groupName, dryRun: settings.dryRun };
  const discovery = stopCondition({ now, deadline }, options.signal);
  // Discovery failing (SCAN refused, connection lost) fails the whole run, named like a single run's error.
  const resolved = await resolveTargets(options.client, settings, discovery.stop).catch((error: unknown) => {
    throw mapRedisError(error, replyContext(settings, run));
  });
  if (isStopped(resolved)) {
    // Interrupted: an empty run, reported as such. Out of time: no run can ever find its targets.
    if (discovery.reason(false) === 'interrupted')
      return totals(run, [], Math.max(0, Math.round(now() - started)), 'interrupted');
    throw new DiscoveryTimeoutError(
      `Finding the streams of \`STREAM_PATTERN\` \`${run.stream}\` on ${describeServer(settings)} took all of \`MAX_RUN_SEC\` ` +
        `(${Math.round(deadline - started) / 1000} s: ${resolved.calls} SCAN calls of ${SCAN_COUNT} keys, ${resolved.mastersDone} of ${resolved.masters} masters done); ` +
        `no target was run: raise \`MAX_RUN_SEC\`, or list the streams in \`STREAM_NAME\``,
    );
  }
  options.onTargets?.(resolved.length);
  const logger = options.logger ?? silentLogger;
  const progress = runProgress(options.onProgress);
  // Each target's own place in its PEL: a later turn starts after what an earlier one covered.
  const cursors = new Map<Target, TurnCursor>();
  // The summary holds a failure too, but a log search for a target should find it.
  const failed = (target: Target | UnresolvedTarget, error: unknown, did?: Counts): FailedTarget => {
    const entry = failedEntry(target, error, did ? [did] : []);
    logger.error('target failed', { stream: entry.stream, group: entry.group, error: entry.error });
    return entry;
  };
  const turn = async (target: Target | UnresolvedTarget, budgetMs: number): Promise<TargetSummary> => {
    if ('error' in target) return failed(target, target.error);
    // Not reached: the run was interrupted, or the budget spent, before this turn. No command is sent.
    if (options.signal?.aborted || budgetMs <= 0)
      return notReached(settings, target, options.signal?.aborted ? 'interrupted' : 'budget');
    const cursor = cursors.get(target) ?? {};
    cursors.set(target, cursor);
    const own = progress.turn();
    try {
      const summary = await runTurn({
        ...options,
        now,
        target: runTarget(settings, target),
        deadline: now() + budgetMs,
        cursor,
        onProgress: own.update,
      });
      own.end(summary);
      return summary;
    } catch (error) {
      // Pages settled before the failure stay done: they count.
      return failed(target, error, own.end());
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
    onDone: (_, summary) => options.onTargetDone?.(summary),
  });
  return totals(run, targets, Math.max(0, Math.round(now() - started)));
}

/**
 * The run's counts so far for `onProgress`: finished turns plus the pages of those running. A
 * turn's progress is its own running counts; its summary replaces them when it ends.
 */
interface TurnProgress {
  update: (counts: Readonly<Counts>) => void;
  /** The turn ended (with its summary, or failed): its counts so far, undefined when it settled no page. */
  end: (summary?: Counts) => Counts | undefined;
}

function runProgress(report: RunOptions['onProgress']): { turn: () => TurnProgress } {
  const finished = zeroCounts();
  const live = new Set<Readonly<Counts>>();
  const fields = Object.keys(finished) as (keyof Counts)[];
  const send = (): void => {
    if (!report) return;
    const sum = { ...finished };
    for (const c of live) for (const f of fields) sum[f] += c[f];
    report(sum);
  };
  return {
    turn: () => {
      let latest: Readonly<Counts> | undefined;
      return {
        update: (c) => {
          if (latest) live.delete(latest);
          latest = { ...c };
          live.add(latest);
          send();
        },
        end: (summary) => {
          if (latest) live.delete(latest);
          const done = summary ?? latest;
          if (done) for (const f of fields) finished[f] += done[f];
          if (summary || latest) send();
          return latest && { ...latest };
        },
      };
    },
  };
}

/** A target's summary when its turn came after the run stopped: nothing done, not covered. */
function notReached(settings: Settings, target: Target, stopReason: Exclude<StopReason, 'covered'>): Summary {
  return {
    stream: target.stream,
    group: target.group,
    ...zeroCounts(),
    deregistered: 0,
    durationMs: 0,
    complete: false,
    stopReason,
    dryRun: settings.dryRun,
  };
}

/** The master serving a stream's slot on a cluster (slots are known once a command has run); one shard otherwise. */
export function shardOf(client: RedisClient): (target: Target) => string {
  if (!(client instanceof Cluster)) return () => 'server';
  return (target) => client.slots[calculateSlot(target.stream)]?.[0] ?? 'unknown';
}

/** The configured streams, as written: the `STREAM_NAME` text, or the pattern. */
function label(settings: Settings): string {
  const spec = specOf(settings);
  return 'pattern' in spec ? spec.pattern : settings.streamName;
}
