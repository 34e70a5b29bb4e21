/**
 * The summary of a run over several targets, from its targets' turns: every turn that ran counts,
 * a failed target's earlier turns included (their work is done and recorded), so the totals are
 * what the run did, and a failed target's entry shows both its counts and its error.
 */
import { zeroCounts, type Counts } from './counts';
import type { Summary } from './run';
import type { StopReason } from './stop';

/**
 * A target whose run failed: its own error; the other targets still ran. When its turns did work
 * before the failure (an earlier turn, or pages settled before the failing one threw), their
 * counts are beside the error; a target that failed before doing anything is `{stream, group, error}`.
 */
export interface FailedTarget extends Partial<Counts> {
  stream: string;
  group: string;
  error: string;
  deregistered?: number;
}

export type TargetSummary = Summary | FailedTarget;

/** The run's summary: today's fields (totals for several targets), and each target's own. */
export interface RunSummary extends Summary {
  /** Present when the settings name several targets (or a pattern, or `*`). */
  targets?: TargetSummary[];
}

export const isFailed = (t: TargetSummary): t is FailedTarget => 'error' in t;

/** The failed targets of a summary (none for a single target: its failure is thrown). */
export const failedTargets = (s: RunSummary): FailedTarget[] => (s.targets ?? []).filter(isFailed);

type Summed = Counts & { deregistered: number };
const SUMMED = [...Object.keys(zeroCounts()), 'deregistered'] as (keyof Summed)[];

/** Counts and `deregistered` added up (a failed target without counts adds nothing). */
export function added(summaries: readonly Partial<Summed>[]): Summed {
  const sum = { ...zeroCounts(), deregistered: 0 };
  for (const s of summaries) for (const field of SUMMED) sum[field] += s[field] ?? 0;
  return sum;
}

/** A failed target's entry: its error, and the counts of what it did when it did anything. */
export function failedEntry(
  target: { stream: string; group: string },
  error: unknown,
  did: readonly Partial<Summed>[] = [],
): FailedTarget {
  const entry = {
    stream: target.stream,
    group: target.group,
    error: error instanceof Error ? error.message : String(error),
  };
  return did.some((t) => t.scanned !== undefined) ? { ...entry, ...added(did) } : entry;
}

/** A target's turns as one summary: counts add up; the last turn says how it ended; a failed turn fails the target, keeping the counts. */
export function mergeTurns(earlier: TargetSummary, later: TargetSummary): TargetSummary {
  if (isFailed(earlier)) return earlier;
  if (isFailed(later)) return failedEntry(later, later.error, [earlier, later]);
  return { ...later, ...added([earlier, later]), durationMs: earlier.durationMs + later.durationMs };
}

const SEVERITY: readonly StopReason[] = ['covered', 'budget', 'interrupted'];

/** The run's summary over its targets; `interrupted` when it was stopped before any target ran. */
export function totals(
  run: { stream: string; group: string; dryRun: boolean },
  targets: TargetSummary[],
  durationMs: number,
  interrupted?: 'interrupted',
): RunSummary {
  const ran = targets.filter((t): t is Summary => !isFailed(t));
  const stopReason = ran.reduce<StopReason>(
    (worst, t) => (SEVERITY.indexOf(t.stopReason) > SEVERITY.indexOf(worst) ? t.stopReason : worst),
    interrupted ?? 'covered',
  );
  return {
    stream: run.stream,
    group: run.group,
    ...added(targets),
    durationMs,
    // A failed target is not covered: the run is not complete (stopReason tells the targets that ran).
    complete: interrupted === undefined && ran.length === targets.length && ran.every((t) => t.complete),
    stopReason,
    dryRun: run.dryRun,
    targets,
  };
}
