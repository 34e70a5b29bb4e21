/**
 * Dry run as a mode of its own (src/reclaim/mode.ts): the same batch stage, with stages that
 * read and count but never write. What it reports is what a real run would do now.
 */
import type { ClaimReply, DeadLetterStatus } from '../redis/scripts';
import type { PendingEntry } from './scan';
import type { Processor } from './process';
import type { SettleContext, Stages } from './stages';

/**
 * Reads each entry (XRANGE, read-only) and reports what a claim would return; the delivery
 * count shown is the one a claim would produce.
 */
export async function previewClaim(ctx: Pick<SettleContext, 'client' | 'keys'>, entries: readonly PendingEntry[]): Promise<ClaimReply> {
  const reply: ClaimReply = { claimed: [], orphaned: [], skipped: [] };
  if (entries.length === 0) return reply;
  const pipeline = ctx.client.pipeline();
  for (const e of entries) pipeline.xrangeBuffer(ctx.keys.stream, e.id, e.id);
  const results = (await pipeline.exec()) ?? [];
  entries.forEach((e, i) => {
    const [error, rows] = results[i] ?? [new Error('no reply')];
    if (error) throw error;
    const row = (rows as [Buffer, Buffer[]][])[0];
    if (row) reply.claimed.push({ id: e.id, deliveries: e.deliveries + 1, fields: row[1] });
    else reply.orphaned.push(e.id);
  });
  return reply;
}

/** Processors are not called: a dry run must not have their side effects. */
const NO_PROCESSING: Processor = { process: async () => undefined };

export function dryRunStages(ctx: Pick<SettleContext, 'client' | 'keys'>): Stages {
  return {
    claimer: { claim: (entries) => previewClaim(ctx, entries) },
    processor: NO_PROCESSING,
    settler: {
      // An over-delivered entry still in the stream would be dead-lettered; one gone, cleared as an orphan.
      async deadLetterScanned(entries) {
        const preview = await previewClaim(ctx, entries);
        return [...preview.claimed.map((): DeadLetterStatus => 'dead-lettered'), ...preview.orphaned.map((): DeadLetterStatus => 'orphaned')];
      },
      deadLetter: async (requests) => requests.map(() => 'dead-lettered'),
      settle: async (settlements) => settlements.map(() => 'settled'),
    },
  };
}
