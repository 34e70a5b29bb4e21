/**
 * One page of the PEL, end to end: dead-letter the over-delivered, claim the rest, dead-letter
 * those that can never be processed, process the others concurrently, settle them. How each
 * step writes (or, in a dry run, only reads) is the stages' business (src/reclaim/mode.ts).
 */
import { UnprocessableEntryError } from '../errors';
import { fieldValue, type EntrySource } from './process';
import type { PendingEntry } from './scan';
import type { DeadLetterReason, DeadLetterRequest } from '../redis/dead-letter';
import type { Settlement } from '../redis/settle-entries';
import type { ClaimedEntry } from '../redis/claim-entries';
import { tally, type Counts } from './counts';
import { deadLetterRequest, type Stages } from './stages';
import type { Logger } from '../telemetry/logger';

export interface PageContext {
  /** The claimer, processor and settler of the run's settling mode (src/reclaim/mode.ts). */
  stages: Stages;
  /** This run's consumer: the fence of what it claimed. */
  consumer: string;
  /** The run's stream and group, handed to the processor with each entry. */
  source: EntrySource;
  maxDeliveries: number;
  /** The idle time the scan asked for: the fence of entries dead-lettered on the claim script's view. */
  minIdleMs: number;
  /** '' when nothing is hashed (RECLAIM_ACTION other than process): no entry lacks a key field then. */
  hashKeyField: string;
  /** Bounds processor calls across all pages in flight. */
  limit: <T>(task: () => Promise<T>) => Promise<T>;
  logger: Logger;
}

export async function handlePage(ctx: PageContext, page: readonly PendingEntry[], counts: Counts): Promise<void> {
  counts.scanned += page.length;
  const overMax = page.filter((e) => e.deliveries >= ctx.maxDeliveries);
  const rest = page.filter((e) => e.deliveries < ctx.maxDeliveries);
  const { claimer, processor, settler } = ctx.stages;
  tally(counts, await settler.deadLetterScanned(overMax));

  const reply = await claimer.claim(rest);
  counts.claimed += reply.claimed.length;
  counts.orphaned += reply.orphaned.length;
  counts.skipped += reply.skipped.length;
  counts.deferred += reply.deferred.length;
  // At the limit counting earlier copies (reclaim.deliveries): fenced on the claim script's view,
  // the record carrying the total.
  const over = reply.over.map((o) =>
    deadLetterRequest({ ...o, deliveries: o.total }, 'max-deliveries', {
      owner: o.consumer,
      deliveries: o.deliveries,
      minIdleMs: ctx.minIdleMs,
    }),
  );
  tally(counts, await settler.deadLetter(over));
  const scanned = new Map(rest.map((e) => [e.id, e]));
  const poison: { entry: ClaimedEntry; reason: DeadLetterReason; error?: string }[] = [];
  const workable: ClaimedEntry[] = [];
  const keyField = Buffer.from(ctx.hashKeyField);
  for (const entry of reply.claimed) {
    if (ctx.hashKeyField !== '' && fieldValue(entry.fields, keyField) === undefined)
      poison.push({ entry, reason: 'missing-key-field' });
    else workable.push(entry);
  }

  const settlements: Settlement[] = [];
  await Promise.all(
    workable.map((entry) =>
      ctx.limit(async () => {
        try {
          const write = await processor.process(entry, ctx.source);
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
  const [deadLettered, settled] = await Promise.all([settler.deadLetter(requests), settler.settle(settlements)]);
  tally(counts, deadLettered);
  // A hash key of another type: nothing was written and the entry stays claimed; retrying
  // cannot help until someone changes that key, so it is dead-lettered now, on the same fence.
  const unwritable: DeadLetterRequest[] = [];
  for (const [i, status] of settled.entries()) {
    if (status === 'settled') counts.processed++;
    else if (status === 'requeued') counts.requeued++;
    else if (status === 'orphaned') counts.orphaned++;
    else if (status === 'skipped') counts.skipped++;
    else if (status === 'failed') counts.failed++;
    else {
      const { id, deliveries, hash } = settlements[i] as Settlement;
      const error = `hash key \`${hash?.key.toString() ?? ''}\` cannot be written: ${status.hashError}`;
      unwritable.push(
        deadLetterRequest(
          scanned.get(id) as PendingEntry,
          'processing-error',
          { owner: ctx.consumer, deliveries, minIdleMs: 0 },
          error,
        ),
      );
    }
  }
  tally(counts, await settler.deadLetter(unwritable));
}
