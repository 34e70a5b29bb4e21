/**
 * The one SIGKILL loop of the reliability suite: round after round a run is started and killed
 * at a seeded random point of its progress, then the caller's invariant is checked. Bounded in
 * count (`rounds`) and time (each kill fires at the latest `roundMs` after the start, and the
 * whole loop fails past `maxMs` rather than running into the test's timeout unexplained).
 *
 * The kill point is progress, not time: a round is killed once the PELs have shrunk by a random
 * share of the backlog (sometimes none: at startup or connect), so it lands mid-work however
 * fast the machine is, and work is left for later rounds.
 */
import { expect } from 'vitest';
import type { CliProcess } from './cli';

export interface KillLoopOptions {
  /** Log prefix, e.g. `kill`: each round prints `[label] round n: …`. */
  label: string;
  rounds: number;
  /** Entries pending at the start (the whole backlog). */
  total: number;
  /** Seeded (support.ts `seeded`), so a failing SEED replays the same kill points. */
  random: () => number;
  /** Starts one run. */
  start: () => CliProcess;
  /** Entries pending now, summed over every group the run works on. */
  pending: () => Promise<number>;
  /**
   * After each round's run has ended: disturb the state if the test wants to, check the
   * invariant (with `context` in the assertion message) and return the entries still pending.
   */
  afterRound: (round: number, context: string) => Promise<number>;
  /** Latest kill after a round's start, ms (a round that makes no progress). */
  roundMs?: number;
  /** Bound on the whole loop, ms. */
  maxMs?: number;
}

export interface KillLoopResult {
  /** Rounds that ended by the SIGKILL (the others finished, exit 0). */
  killed: number;
  /** Rounds after which fewer entries were pending than before. */
  progressed: number;
  /** Entries pending after the last round. */
  pending: number;
}

export async function killLoop(o: KillLoopOptions): Promise<KillLoopResult> {
  const started = Date.now();
  let killed = 0;
  let progressed = 0;
  let pendingBefore = o.total;
  for (let round = 0; round < o.rounds; round++) {
    if (Date.now() - started > (o.maxMs ?? 220_000))
      throw new Error(`[${o.label}] ${round} of ${o.rounds} rounds took over ${o.maxMs ?? 220_000} ms`);
    const run = o.start();
    // Capped to leave a tenth of the backlog: the random shares may add up to more than it,
    // and a backlog cleared before the last rounds would leave them nothing to interrupt.
    const target = Math.min(
      Math.floor(o.random() * ((o.total * 1.5) / o.rounds)),
      Math.max(0, pendingBefore - o.total / 10),
    );
    const delay = await killAfterProgress(
      o.pending,
      pendingBefore - target,
      () => run.child.kill('SIGKILL'),
      run.done,
      o.roundMs ?? 5_000,
    );
    const result = await run.done;
    if (result.signal === 'SIGKILL') killed++;
    else expect(result.code, result.stderr).toBe(0);
    const pending = await o.afterRound(round, `round ${round}, killed after ${delay} ms`);
    if (pending < pendingBefore) progressed++;
    console.log(
      `[${o.label}] round ${round}: ${result.signal ?? `exit ${result.code}`} after ${delay} ms (target -${target}), pending ${pending}`,
    );
    pendingBefore = pending;
  }
  return { killed, progressed, pending: pendingBefore };
}

/** Kills the run once `pending()` is `pendingAt` or fewer (polled every 2 ms) or after `roundMs`; returns when it fired, in ms. */
async function killAfterProgress(
  pending: () => Promise<number>,
  pendingAt: number,
  kill: () => void,
  done: Promise<unknown>,
  roundMs: number,
): Promise<number> {
  const started = Date.now();
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished && Date.now() - started < roundMs) {
    if ((await pending()) <= pendingAt) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  kill();
  return Date.now() - started;
}
