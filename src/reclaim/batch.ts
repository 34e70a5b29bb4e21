/**
 * One page of the PEL, end to end: dead-letter the over-delivered, claim the rest, dead-letter
 * those that can never be processed, process the others concurrently, settle them.
 */
import { claim, previewClaim } from './claim';
import { UnprocessableEntryError } from '../errors';
import { fieldValue, type Processor } from './process';
import type { PendingEntry } from './scan';
import type { ClaimedEntry, DeadLetterReason, DeadLetterRequest, DeadLetterStatus, Settlement } from '../redis/scripts';
import { deadLetterEntries, deadLetterRequest, settle, type SettleContext } from './settle';
import type { Logger } from '../telemetry/logger';

export interface Counts {
  scanned: number;
  claimed: number;
  processed: number;
  deadLettered: number;
  orphaned: number;
  failed: number;
  skipped: number;
}

export const zeroCounts = (): Counts => ({
  scanned: 0,
  claimed: 0,
  processed: 0,
  deadLettered: 0,
  orphaned: 0,
  failed: 0,
  skipped: 0,
});

export interface BatchContext extends SettleContext {
  /** On a cluster: scripts that derive keys check the hash tag first. */
  checkSlot: boolean;
  maxDeliveries: number;
  minIdleMs: number;
  hashKeyField: string;
  processor: Processor;
  /** Bounds processor calls across all batches in flight. */
  limit: <T>(task: () => Promise<T>) => Promise<T>;
  logger: Logger;
}

/** Adds dead-letter outcomes to the counts. */
export function tally(counts: Counts, statuses: readonly DeadLetterStatus[]): void {
  for (const s of statuses) {
    if (s === 'dead-lettered') counts.deadLettered++;
    else if (s === 'orphaned') counts.orphaned++;
    else if (s === 'failed') counts.failed++;
    else counts.skipped++;
  }
}

export async function handleBatch(ctx: BatchContext, page: readonly PendingEntry[], counts: Counts): Promise<void> {
  counts.scanned += page.length;
  const overMax = page.filter((e) => e.deliveries >= ctx.maxDeliveries);
  const rest = page.filter((e) => e.deliveries < ctx.maxDeliveries);
  const claimArgs = { stream: ctx.keys.stream, group: ctx.group, consumer: ctx.consumer, minIdleMs: ctx.minIdleMs };

  if (ctx.dryRun) {
    const preview = await previewClaim(ctx.client, ctx.keys.stream, overMax);
    counts.deadLettered += preview.claimed.length;
    counts.orphaned += preview.orphaned.length;
  } else {
    const requests = overMax.map((e) =>
      deadLetterRequest(e, 'max-deliveries', { owner: e.consumer, deliveries: e.deliveries, minIdleMs: ctx.minIdleMs }),
    );
    tally(counts, await deadLetterEntries(ctx, requests));
  }

  const reply = ctx.dryRun ? await previewClaim(ctx.client, ctx.keys.stream, rest) : await claim(ctx.client, claimArgs, rest);
  counts.claimed += reply.claimed.length;
  counts.orphaned += reply.orphaned.length;
  counts.skipped += reply.skipped.length;
  const scanned = new Map(rest.map((e) => [e.id, e]));
  const poison: { entry: ClaimedEntry; reason: DeadLetterReason; error?: string }[] = [];
  const workable: ClaimedEntry[] = [];
  const keyField = Buffer.from(ctx.hashKeyField);
  for (const entry of reply.claimed) {
    if (ctx.hashKeyField !== '' && fieldValue(entry.fields, keyField) === undefined) poison.push({ entry, reason: 'missing-key-field' });
    else workable.push(entry);
  }

  const settlements: Settlement[] = [];
  await Promise.all(
    workable.map((entry) =>
      ctx.limit(async () => {
        try {
          const write = ctx.dryRun ? undefined : await ctx.processor.process(entry);
          settlements.push({ id: entry.id, deliveries: entry.deliveries, hash: write ?? undefined });
        } catch (error) {
          if (error instanceof UnprocessableEntryError) {
            poison.push({ entry, reason: 'processing-error', error: error.message });
            return;
          }
          counts.failed++;
          ctx.logger.warn('processing failed; the entry stays pending', {
            id: entry.id,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
        }
      }),
    ),
  );

  // Fenced on this run's claim; the record keeps the owner and count the scan saw.
  const requests = poison.map(({ entry, reason, error }) =>
    deadLetterRequest(
      scanned.get(entry.id) as PendingEntry,
      reason,
      { owner: ctx.consumer, deliveries: entry.deliveries, minIdleMs: 0 },
      error,
    ),
  );
  const [deadLettered, settled] = await Promise.all([deadLetterEntries(ctx, requests), settle(ctx, settlements)]);
  tally(counts, deadLettered);
  // A hash key of another type: nothing was written and the entry stays claimed; retrying
  // cannot help until someone changes that key, so it is dead-lettered now, on the same fence.
  const unwritable: DeadLetterRequest[] = [];
  for (const [i, status] of settled.entries()) {
    if (status === 'settled') counts.processed++;
    else if (status === 'skipped') counts.skipped++;
    else if (status === 'failed') counts.failed++;
    else {
      const { id, deliveries, hash } = settlements[i] as Settlement;
      const error = `hash key \`${hash?.key.toString() ?? ''}\` cannot be written: ${status.hashError}`;
      unwritable.push(deadLetterRequest(scanned.get(id) as PendingEntry, 'processing-error', { owner: ctx.consumer, deliveries, minIdleMs: 0 }, error));
    }
  }
  tally(counts, await deadLetterEntries(ctx, unwritable));
}
