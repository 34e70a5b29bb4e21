/**
 * The built-in hash writer's fast path: each page of the PEL is scanned and settled by one
 * script (src/redis/scripts/reclaim-page.lua), so entry data never travels to this process and back.
 *
 * Several scripts are in flight at once, all starting from the furthest position any finished
 * script reached. That is exact because every entry a script scans leaves the PEL in the same
 * atomic step: a script sent from an older position finds the entries before it already gone
 * and takes the next ones, never one twice. Coverage holds by induction: each script covers
 * its start to its last ID, and its start was reached by a script that had finished.
 */
import { tally, type Counts } from './counts';
import { reclaimPage, type DeferredDeadLetter } from '../redis/reclaim-page';
import { compareIds, nextId, type ScanStrategy } from './scan';
import type { SettleContext } from './stages';
import { deadLetterWide } from '../redis/wide';

export interface FastPathContext extends Omit<SettleContext, 'consumer'> {
  minIdleMs: number;
  maxDeliveries: number;
  hashKeyField: string;
  /** On a cluster: the hash key prefix must carry the stream's hash tag (src/redis/reclaim-page.ts). */
  checkSlot: boolean;
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
export async function runFastPath(ctx: FastPathContext, options: FastPathOptions): Promise<{ complete: boolean; furthest?: string }> {
  let furthest = options.after;
  let covered = false;
  let failure: unknown;
  const inFlight = new Set<Promise<void>>();
  const deferred = new Set<string>();
  const script = options.script ?? reclaimPage;

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
        },
      );
      counts.scanned += reply.scanned;
      counts.claimed += reply.claimed;
      counts.processed += reply.processed;
      counts.deadLettered += reply.deadLettered;
      counts.orphaned += reply.orphaned;
      counts.failed += reply.failed;
      // Left pending by the script: records too long for one call from Lua. Settled before this
      // page counts as done, so coverage (below) still holds. A script in flight from an older
      // position may meet the same entry before it is settled: counted and handled once.
      for (const d of reply.deferred) {
        if (deferred.has(d.id)) {
          counts.scanned--;
          if (d.reason !== 'max-deliveries') counts.claimed--;
          continue;
        }
        deferred.add(d.id);
        tally(counts, [await deadLetterDeferred(ctx, d)]);
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
    if (inFlight.size >= options.depth) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return { complete: covered, furthest };
}

/** The fence is the scan's view (the script claims nothing): same owner, count and idleness. */
function deadLetterDeferred(ctx: FastPathContext, d: DeferredDeadLetter): ReturnType<typeof deadLetterWide> {
  const keys = { stream: ctx.keys.stream, deadLetter: ctx.keys.deadLetter };
  const request = { ...d, expectOwner: d.consumer, expectDeliveries: d.deliveries, minIdleMs: ctx.minIdleMs };
  return deadLetterWide(ctx.client, keys, ctx.group, request, ctx.now());
}
