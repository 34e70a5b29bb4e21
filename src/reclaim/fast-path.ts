/**
 * The built-in hash writer's fast path: each page of the PEL is scanned and settled by one
 * script (src/redis/scripts/reclaim-page.lua), so entry data never travels to this process and back.
 *
 * Several scripts are in flight at once, all starting from the furthest position any finished
 * script reached. That is exact because every entry a script scans leaves the PEL in the same
 * atomic step: a script sent from an older position finds the entries before it already gone
 * and takes the next ones, never one twice. Coverage holds by induction: each script covers
 * its start to its last ID, and its start was reached by a script that had finished.
 *
 * That premise fails when a script leaves idle entries in place on purpose (backoff defers
 * them; dead-letter-only leaves every workable one): scripts sent from one position would each
 * scan, and count, the same entries. Then one script is in flight at a time, each starting
 * after the last ID of the one before (`leavesEntries`).
 */
import { tally, type Counts } from './counts';
import { reclaimPage, type WideEntry } from '../redis/reclaim-page';
import type { ReclaimAction } from '../config/settings';
import { compareIds, nextId, type ScanStrategy } from './scan';
import type { SettleContext } from './stages';
import { deadLetterWide, requeueWide } from '../redis/wide';

export interface FastPathContext extends Omit<SettleContext, 'consumer'> {
  minIdleMs: number;
  maxDeliveries: number;
  hashKeyField: string;
  /** On a cluster: the hash key prefix must carry the stream's hash tag (src/redis/reclaim-page.ts). */
  checkSlot: boolean;
  /** Backoff ceiling in ms; undefined (the default) = off. */
  backoffMaxMs?: number | undefined;
  /** Default `process`. */
  action?: ReclaimAction;
}

export interface FastPathOptions {
  strategy: ScanStrategy;
  pageSize: number;
  /** Scripts in flight at once. */
  depth: number;
  /** True once no new page may be started. */
  stop(): boolean;
  /** Runs one page; wraps it in telemetry. `work` adds to the counts it is given. */
  page(work: (counts: Counts) => Promise<void>): Promise<void>;
  /** Seam for tests: the page script (default reclaimPage, src/redis/reclaim-page.ts). */
  script?: typeof reclaimPage;
  /** The last ID an earlier turn covered: this one starts after it. */
  after?: string;
}

/** `furthest`: every pending ID up to it was covered (by induction, above): where a later turn resumes. */
export async function runFastPath(
  ctx: FastPathContext,
  options: FastPathOptions,
): Promise<{ complete: boolean; furthest?: string }> {
  let furthest = options.after;
  let covered = false;
  let failure: unknown;
  const inFlight = new Set<Promise<void>>();
  const wide = new Set<string>();
  const script = options.script ?? reclaimPage;
  const depth = leavesEntries(ctx) ? 1 : options.depth;

  const send = async (): Promise<void> => {
    // 6.0 has no exclusive ranges: start at the smallest ID after the furthest one.
    const start = furthest === undefined ? '-' : options.strategy === 'redis6.0' ? nextId(furthest) : `(${furthest}`;
    await options.page(async (counts) => {
      const reply = await script(
        ctx.client,
        { stream: ctx.keys.stream, deadLetter: ctx.keys.deadLetter },
        {
          group: ctx.group,
          minIdleMs: ctx.minIdleMs,
          maxDeliveries: ctx.maxDeliveries,
          hashPrefix: ctx.keys.hashPrefix,
          keyField: ctx.hashKeyField,
          at: ctx.now(),
          checkSlot: ctx.checkSlot,
          start,
          count: options.pageSize,
          serverIdleFilter: options.strategy !== 'redis6.0',
          backoffMaxMs: ctx.backoffMaxMs,
          action: ctx.action,
        },
      );
      counts.scanned += reply.scanned;
      counts.claimed += reply.claimed;
      counts.processed += reply.processed;
      counts.deadLettered += reply.deadLettered;
      counts.orphaned += reply.orphaned;
      counts.failed += reply.failed;
      counts.deferred += reply.deferred;
      counts.requeued += reply.requeued;
      // Left pending by the script: records or copies too long for one call from Lua. Settled
      // before this page counts as done, so coverage (below) still holds. A script in flight from
      // an older position may meet the same entry before it is settled: counted and handled once.
      for (const d of reply.wide) {
        if (wide.has(d.id)) {
          counts.scanned--;
          if (d.reason !== 'max-deliveries' && d.reason !== 'requeue') counts.claimed--;
          continue;
        }
        wide.add(d.id);
        tally(counts, [await settleWide(ctx, d)]);
      }
      if (reply.last === undefined) covered = true;
      else if (furthest === undefined || compareIds(reply.last, furthest) > 0) furthest = reply.last;
    });
  };

  while (!covered && failure === undefined && !options.stop()) {
    const task = send().catch((error: unknown) => {
      failure ??= error;
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
    if (inFlight.size >= depth) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return { complete: covered, furthest };
}

/** True when a page's script may leave idle entries pending on purpose (see the header). */
export function leavesEntries(ctx: Pick<FastPathContext, 'backoffMaxMs' | 'action'>): boolean {
  return ctx.backoffMaxMs !== undefined || ctx.action === 'dead-letter-only';
}

/** The fence is the scan's view (the script claims nothing): same owner, count and idleness. */
function settleWide(
  ctx: FastPathContext,
  d: WideEntry,
): ReturnType<typeof deadLetterWide> | ReturnType<typeof requeueWide> {
  const keys = { stream: ctx.keys.stream, deadLetter: ctx.keys.deadLetter };
  const fence = { expectOwner: d.consumer, expectDeliveries: d.deliveries, minIdleMs: ctx.minIdleMs };
  if (d.reason === 'requeue')
    return requeueWide(ctx.client, ctx.keys.stream, ctx.group, { id: d.id, ownDeliveries: d.deliveries, ...fence });
  const request = { ...d, reason: d.reason, deliveries: d.total, ...fence };
  return deadLetterWide(ctx.client, keys, ctx.group, request, ctx.now());
}
