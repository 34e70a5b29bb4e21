/**
 * The built-in hash writer's fast path: each page of the PEL is scanned and settled by one
 * script (src/scripts/reclaim-page.lua), so entry data never travels to this process and back.
 * Pages follow each other on the cursor the script returns; a round trip per page is all this
 * process adds. Same results as the general path (src/batch.ts), which stays for custom
 * processors, dry runs, and clusters whose keys do not share a slot.
 */
import type { BatchContext, Counts } from './batch';
import { nextId, type ScanStrategy } from './scan';
import { reclaimPage } from './scripts';

export interface FastPathOptions {
  strategy: ScanStrategy;
  pageSize: number;
  /** True once no new page may be started. */
  stop(): boolean;
  /** Runs one page; wraps it in telemetry. `work` adds to the counts it is given. */
  page(work: (counts: Counts) => Promise<void>): Promise<void>;
}

export async function runFastPath(ctx: BatchContext, options: FastPathOptions): Promise<{ complete: boolean }> {
  let start = '-';
  while (!options.stop()) {
    let last: string | undefined;
    await options.page(async (counts) => {
      const reply = await reclaimPage(
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
      last = reply.last;
    });
    if (last === undefined) return { complete: true };
    // 6.0 has no exclusive ranges: the next page starts at the smallest ID after the last one.
    start = options.strategy === 'redis6.0' ? nextId(last) : `(${last}`;
  }
  return { complete: false };
}
