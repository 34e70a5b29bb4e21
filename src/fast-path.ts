/**
 * The built-in hash writer's fast path: a whole PEL page is dead-lettered, claimed, written and
 * acknowledged by one script, so entry data never travels to this process and back. Same
 * results and semantics as the general path (src/batch.ts), which stays for custom processors,
 * dry runs, and clusters whose keys do not share a slot.
 */
import type { BatchContext, Counts } from './batch';
import type { PendingEntry } from './scan';
import { reclaimBatch } from './scripts';

export async function handleFastBatch(ctx: BatchContext, page: readonly PendingEntry[], counts: Counts): Promise<void> {
  counts.scanned += page.length;
  if (page.length === 0) return;
  const reply = await reclaimBatch(
    ctx.client,
    { stream: ctx.keys.stream, deadLetter: ctx.keys.deadLetter },
    {
      group: ctx.group,
      consumer: ctx.consumer,
      minIdleMs: ctx.minIdleMs,
      maxDeliveries: ctx.maxDeliveries,
      hashPrefix: ctx.keys.hashPrefix,
      keyField: ctx.hashKeyField,
      at: ctx.now(),
      checkSlot: ctx.checkSlot,
      entries: page,
    },
  );
  counts.claimed += reply.claimed;
  counts.processed += reply.processed;
  counts.deadLettered += reply.deadLettered;
  counts.orphaned += reply.orphaned;
  counts.skipped += reply.skipped;
}
