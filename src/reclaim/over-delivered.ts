/**
 * Entries delivered more than `MAX_DELIVERIES` times that never get idle. Consumers that re-claim
 * idle entries for themselves (`XREADGROUP … CLAIM <min-idle>` from Redis 8.4, `XAUTOCLAIM`,
 * `XCLAIM`) redeliver a poison entry every time it has been idle for *their* min-idle: if that is
 * shorter than `MIN_IDLE_TIME_SEC`, the scan (`XPENDING … IDLE`) never returns it, and it is
 * redelivered forever. The reclaimer never claims an entry at the limit, so its own claims take
 * a count at most to `MAX_DELIVERIES`: a count above it can only come from consumers retrying for
 * themselves. Such an entry is dead-lettered without waiting for `MIN_IDLE_TIME_SEC`
 * (docs/design.md §2), fenced on the owner and count seen here, and the run warns, naming them.
 *
 * `XPENDING … IDLE` cannot find them (they are not idle), and reading a huge PEL whole each run
 * would cost more than the run itself: this looks at the oldest `SWEEP_LIMIT` pending entries,
 * where an entry that keeps failing ends up as the entries around it are acknowledged, with the
 * extended XPENDING form (no IDLE: Redis 6.0 has it too). Same step on every path and strategy.
 */
import type { Counts } from './counts';
import { tally } from './counts';
import { nextId, type PendingEntry } from './scan';
import { deadLetterRequest, type Settler } from './stages';
import type { RedisClient } from '../redis/client';
import type { Logger } from '../telemetry/logger';

/** Most pending entries (from the oldest) looked at per run. */
export const SWEEP_LIMIT = 1_000;

export interface SweepContext {
  client: RedisClient;
  stream: string;
  group: string;
  maxDeliveries: number;
  minIdleMs: number;
  pageSize: number;
  settler: Pick<Settler, 'deadLetter'>;
  logger: Logger;
  stop(): boolean;
}

type Row = [string, string, number, number];

/** Finds over-delivered entries not yet idle enough for the scan, among the oldest pending ones. */
export async function findOverDelivered(ctx: SweepContext): Promise<PendingEntry[]> {
  const found: PendingEntry[] = [];
  let start = '-';
  for (let seen = 0; seen < SWEEP_LIMIT && !ctx.stop();) {
    const count = Math.min(ctx.pageSize, SWEEP_LIMIT - seen);
    const rows = (await ctx.client.call('XPENDING', ctx.stream, ctx.group, start, '+', count)) as Row[];
    for (const [id, consumer, idleMs, deliveries] of rows) {
      // Idle ones are the scan's: it dead-letters them with the rest of their page.
      if (deliveries > ctx.maxDeliveries && idleMs < ctx.minIdleMs) found.push({ id, consumer, idleMs, deliveries });
    }
    seen += rows.length;
    const last = rows.at(-1);
    if (rows.length < count || !last) break;
    start = nextId(last[0]); // inclusive ranges only on 6.0
  }
  return found;
}

/** Dead-letters what `findOverDelivered` finds (fenced on owner and count, any idle time). */
export async function sweepOverDelivered(ctx: SweepContext, counts: Counts): Promise<void> {
  const found = await findOverDelivered(ctx);
  if (found.length === 0) return;
  ctx.logger.warn(
    'entries delivered more than MAX_DELIVERIES times were never idle MIN_IDLE_TIME_SEC: consumers re-claim them for themselves (XREADGROUP … CLAIM, XAUTOCLAIM, XCLAIM); dead-lettering them without waiting',
    {
      stream: ctx.stream,
      group: ctx.group,
      entries: found.length,
      maxDeliveries: ctx.maxDeliveries,
      // The counts themselves are in the records, exactly (a double here would round them).
      consumers: [...new Set(found.map((e) => e.consumer))].slice(0, 10).join(', '),
    },
  );
  counts.scanned += found.length;
  const requests = found.map((e) =>
    deadLetterRequest(e, 'max-deliveries', { owner: e.consumer, deliveries: e.deliveries, minIdleMs: 0 }),
  );
  tally(counts, await ctx.settler.deadLetter(requests));
}
