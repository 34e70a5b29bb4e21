/**
 * Settling on a Redis Cluster whose keys do not share a slot (the stream, the dead-letter
 * stream and the hash keys lack one common hash tag). A script may only touch keys of one slot,
 * so write and ack cannot be one atomic step; this path keeps "nothing is lost" by always
 * writing first and acknowledging second, the ack fenced as on the atomic path:
 * - processed entry: HSET its hash (plain command, its own slot), then a fenced ack
 *   (settle-entries, ack only). A crash in between leaves the entry pending; a later run writes
 *   the same hash again (idempotent).
 * - dead letter: a fenced read of the entry (dead-letter-read), XADD the record to the DLQ, then
 *   a fenced ack. A crash in between leaves the entry pending and a later run records it again,
 *   so a dead letter may be recorded more than once; a run overtaken between write and ack may
 *   leave a hash or record for an entry another run settled. That is at-least-once, and the
 *   run says so in its log (src/reclaim/run.ts). Tagged keys (docs/servers.md) avoid all of it.
 */
import { exactDeadLetterRequest, isExactCount } from '../redis/exact-count';
import { recordMeta } from '../redis/record';
import { writingSettler, type SettleContext, type Settler } from './stages';
import { readForDeadLetter, type DeadLetterRead } from '../redis/dead-letter-read';
import { settleEntries, type SettleStatus, type Settlement } from '../redis/settle-entries';
import type { DeadLetterRequest, DeadLetterStatus } from '../redis/dead-letter';

/** The settler of a cluster whose keys lie in several slots (src/reclaim/mode.ts). */
export function splitSettler(ctx: SettleContext, minIdleMs: number): Settler {
  return writingSettler(ctx, minIdleMs, {
    deadLetter: (requests) => deadLetterSplit(ctx, requests),
    settle: (settlements) => settleSplit(ctx, settlements),
  });
}

/**
 * Write each hash, then ack fenced. Per settlement: settled, skipped (fenced out), or the
 * hash key's WRONGTYPE error (nothing written, not acked: the caller dead-letters it).
 */
async function settleSplit(ctx: SettleContext, settlements: readonly Settlement[]): Promise<SettleStatus[]> {
  const written = await Promise.all(
    settlements.map(async ({ hash }): Promise<SettleStatus | undefined> => {
      // An empty write is ack-only, as in settle-entries.lua (HSET needs at least one pair).
      if (!hash || hash.fields.length === 0) return undefined;
      try {
        await ctx.client.hset(hash.key, ...hash.fields);
        return undefined;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message.startsWith('WRONGTYPE')) return { hashError: message };
        throw error;
      }
    }),
  );
  const toAck = settlements.filter((_, i) => written[i] === undefined);
  const acked = await settleEntries(ctx.client, ctx.keys.stream, {
    group: ctx.group,
    consumer: ctx.consumer,
    settlements: toAck.map(({ id, deliveries }) => ({ id, deliveries })),
  });
  let next = 0;
  return written.map((status) => status ?? (acked[next++] as SettleStatus));
}

/** Fenced read, record, then fenced ack (see the header). */
async function deadLetterSplit(ctx: SettleContext, scanned: readonly DeadLetterRequest[]): Promise<DeadLetterStatus[]> {
  // Counts beyond 2^53 are re-read exactly first: the scripts' fence and the record need the
  // digits (src/redis/exact-count.ts). One no longer as the scan saw it is skipped.
  const exact = await Promise.all(
    scanned.map(async (r) =>
      isExactCount(r.expectDeliveries) && isExactCount(r.deliveries)
        ? r
        : exactDeadLetterRequest(ctx.client, ctx.keys.stream, ctx.group, r),
    ),
  );
  const requests = exact.filter((r): r is DeadLetterRequest => r !== undefined);
  const readsOfRequests = await readForDeadLetter(ctx.client, ctx.keys.stream, { group: ctx.group, requests });
  let next = 0;
  const reads = exact.map((r): DeadLetterRead =>
    r === undefined ? 'skipped' : (readsOfRequests[next++] as DeadLetterRead),
  );
  const statuses: DeadLetterStatus[] = reads.map((r) => (typeof r === 'string' ? r : 'skipped'));
  const at = ctx.now();
  const recorded: { index: number; request: DeadLetterRequest }[] = [];
  // In request order: the DLQ is one key, so one connection keeps the records in that order.
  await Promise.all(
    exact.map(async (r, index) => {
      const read = reads[index];
      if (r === undefined || read === undefined || typeof read === 'string') return;
      const meta = recordMeta({ ...r, stream: ctx.keys.stream, group: ctx.group, at });
      await ctx.client.xadd(ctx.keys.deadLetter, '*', ...read.fields, ...meta);
      recorded.push({ index, request: r });
    }),
  );
  // The ack's fence names one owner per call: group by the owner each request expects.
  const byOwner = new Map<string, { index: number; request: DeadLetterRequest }[]>();
  for (const rec of recorded)
    byOwner.set(rec.request.expectOwner, [...(byOwner.get(rec.request.expectOwner) ?? []), rec]);
  await Promise.all(
    [...byOwner].map(async ([owner, recs]) => {
      const acked = await settleEntries(ctx.client, ctx.keys.stream, {
        group: ctx.group,
        consumer: owner,
        settlements: recs.map(({ request }) => ({ id: request.id, deliveries: request.expectDeliveries })),
      });
      recs.forEach(({ index }, i) => (statuses[index] = acked[i] === 'settled' ? 'dead-lettered' : 'skipped'));
    }),
  );
  return statuses;
}
