/**
 * When a run stops starting new pages, and why. Both paths (src/reclaim/fast-path.ts, src/reclaim/pipeline.ts)
 * only ask `stop()`; the reason is decided here, once, so the summary can tell a spent budget
 * from an interruption (SIGINT/SIGTERM in the CLI, app terminate in the function).
 */

/** Why a run stopped: the PEL was covered, `MAX_RUN_SEC` was spent, or its signal fired. */
export type StopReason = 'covered' | 'budget' | 'interrupted';

export interface StopCondition {
  /** True once no new page may be started. The first reason found sticks. */
  stop: () => boolean;
  /** The summary's `stopReason`, given whether the path covered the PEL. */
  reason: (complete: boolean) => StopReason;
}

export interface Budget {
  now: () => number;
  /** When no new page may start any more, on `now`'s clock: the run's (or its turn's) one deadline. */
  deadline: number;
}

export function stopCondition(budget: Budget, signal?: AbortSignal): StopCondition {
  let stopped: Exclude<StopReason, 'covered'> | undefined;
  const check = (): typeof stopped => {
    // An interruption wins a tie: the caller (CLI exit code, host shutdown log) must know it.
    if (signal?.aborted) return 'interrupted';
    if (budget.now() >= budget.deadline) return 'budget';
    return undefined;
  };
  return {
    stop() {
      stopped ??= check();
      return stopped !== undefined;
    },
    // A path reports incomplete only after stop() returned true, so `stopped` is set then; a
    // path may still cover the PEL with work already in flight when stop() fired.
    reason: (complete) => (complete ? 'covered' : (stopped ?? check() ?? 'budget')),
  };
}
