/**
 * Dry run as a mode of its own (src/reclaim/mode.ts): the same page stage, with stages that
 * read and count but never write. What it reports is what a real run would do now.
 */
import type { DeadLetterStatus } from '../redis/dead-letter';
import { emptyClaim, type ClaimReply } from '../redis/claim-entries';
import { isDue, priorDeliveries } from '../redis/retry';
import type { RetryPolicy } from './retry-policy';
import type { PendingEntry } from './scan';
import type { Processor } from './process';
import type { SettleContext, Stages } from './stages';

/**
 * Reads each entry (XRANGE, read-only) and reports what a claim would return; the delivery
 * count shown is the one a claim would produce. With a policy, it decides as claim-entries.lua
 * does (src/redis/retry.ts is lib/retry.lua's twin): over the limit counting earlier copies,
 * not yet due, or (dead-letter-only) not claimed.
 */
export async function previewClaim(
  ctx: Pick<SettleContext, 'client' | 'keys'>,
  entries: readonly PendingEntry[],
  policy?: RetryPolicy,
): Promise<ClaimReply> {
  const reply: ClaimReply = emptyClaim();
  if (entries.length === 0) return reply;
  const pipeline = ctx.client.pipeline();
  for (const e of entries) pipeline.xrangeBuffer(ctx.keys.stream, e.id, e.id);
  const results = (await pipeline.exec()) ?? [];
  entries.forEach((e, i) => {
    const [error, rows] = results[i] ?? [new Error('no reply')];
    if (error) throw error;
    const row = (rows as [Buffer, Buffer[]][])[0];
    if (!row) {
      reply.orphaned.push(e.id);
      return;
    }
    const total = e.deliveries + priorDeliveries(row[1]);
    if (policy && total >= policy.maxDeliveries) reply.over.push({ ...e, total });
    else if (policy?.action === 'dead-letter-only') return;
    else if (policy && !isDue(e.idleMs, total, policy.minIdleMs, policy.backoffMaxMs)) reply.deferred.push(e.id);
    else reply.claimed.push({ id: e.id, deliveries: e.deliveries + 1, fields: row[1] });
  });
  return reply;
}

/** Processors are not called: a dry run must not have their side effects. */
const NO_PROCESSING: Processor = { process: async () => undefined };

export function dryRunStages(ctx: Pick<SettleContext, 'client' | 'keys'>, policy: RetryPolicy): Stages {
  const settled = policy.action === 'requeue' ? 'requeued' : 'settled';
  return {
    claimer: { claim: (entries) => previewClaim(ctx, entries, policy) },
    processor: NO_PROCESSING,
    settler: {
      // An over-delivered entry still in the stream would be dead-lettered; one gone, cleared as an orphan.
      async deadLetterScanned(entries) {
        const preview = await previewClaim(ctx, entries);
        return [
          ...preview.claimed.map((): DeadLetterStatus => 'dead-lettered'),
          ...preview.orphaned.map((): DeadLetterStatus => 'orphaned'),
        ];
      },
      deadLetter: async (requests) => requests.map(() => 'dead-lettered'),
      settle: async (settlements) => settlements.map(() => settled),
    },
  };
}
