/**
 * The demo's backlog: three targets on two streams, each with a consumer that crashed holding
 * entries idle for 15 minutes (some poison, delivered MAX_DELIVERIES times or more; some
 * without the `orderId` key field; some deleted from the stream while pending).
 * - `orders`, group `fulfilment`: `worker-1` crashed holding 260 entries; `worker-2` is alive
 *   with 40 fresh ones; the rest are not delivered yet;
 * - `orders`, group `billing` (a second group reading the same orders): `biller-1` crashed
 *   holding 90 entries;
 * - `payments`, group `settlement`: `settler-1` crashed holding 70 of 100 payments.
 * Idle times are backdated with XCLAIM … IDLE … RETRYCOUNT … JUSTID FORCE, so nothing sleeps.
 */
import type Redis from 'ioredis';

export interface DemoGroup {
  readonly stream: string;
  readonly group: string;
  /** The consumer that crashed, and how many of the stream's first entries it held. */
  readonly crashed: string;
  readonly crashedCount: number;
  /** A live consumer reading the next entries just now (not idle: never touched). */
  readonly live?: { readonly name: string; readonly count: number };
}

/** Entries per stream. */
const STREAMS: Readonly<Record<string, number>> = { orders: 320, payments: 100 };

export const DEMO = Object.freeze({
  keyField: 'orderId',
  maxDeliveries: 5,
  minIdleSec: 60,
  crashedIdleMs: 15 * 60_000,
  streams: STREAMS,
  /** Every group of every stream: the run's `STREAM_CONSUMER_GROUP_NAME=*` finds them all. */
  groups: [
    {
      stream: 'orders',
      group: 'fulfilment',
      crashed: 'worker-1',
      crashedCount: 260,
      live: { name: 'worker-2', count: 40 },
    },
    { stream: 'orders', group: 'billing', crashed: 'biller-1', crashedCount: 90 },
    { stream: 'payments', group: 'settlement', crashed: 'settler-1', crashedCount: 70 },
  ] as readonly DemoGroup[],
});

export interface SeedReport extends DemoGroup {
  entries: number;
  poison: number;
  missingKey: number;
  deleted: number;
  undelivered: number;
}

// Which entries are special, by position in their stream (deterministic output).
const isMissingKey = (i: number): boolean => i % 25 === 7;
const isPoison = (i: number): boolean => i % 15 === 3;
const isDeleted = (i: number): boolean => i % 29 === 11 && !isPoison(i);

function entry(stream: string, i: number): string[] {
  const key = isMissingKey(i) ? [] : [DEMO.keyField, `order-${1000 + i}`];
  const amount = (((i * 37) % 500) + 0.99).toFixed(2);
  if (stream === 'payments')
    return [...key, 'method', i % 3 === 0 ? 'card' : 'transfer', 'amount', amount, 'status', 'settled'];
  return [...key, 'customer', `c${(i * 7) % 37}`, 'amount', amount, 'status', 'paid'];
}

/** Seeds every stream and group of DEMO; one report per group, in DEMO's order. */
export async function seedDemo(redis: Redis): Promise<SeedReport[]> {
  const ids = new Map<string, string[]>();
  for (const [stream, total] of Object.entries(DEMO.streams)) {
    // Groups first, at `$`: each then reads the stream from its first entry.
    for (const g of DEMO.groups.filter((x) => x.stream === stream))
      await redis.call('XGROUP', 'CREATE', stream, g.group, '$', 'MKSTREAM');
    const pipeline = redis.pipeline();
    for (let i = 0; i < total; i++) pipeline.xadd(stream, '*', ...entry(stream, i));
    ids.set(
      stream,
      ((await pipeline.exec()) ?? []).map(([error, id]) => {
        if (error) throw error;
        return String(id);
      }),
    );
  }
  for (const g of DEMO.groups) await crash(redis, g, ids.get(g.stream) ?? []);
  // Trimmed or deleted by someone else while still pending: orphans in the PELs.
  for (const [stream, all] of ids) {
    const held = Math.max(...DEMO.groups.filter((g) => g.stream === stream).map((g) => g.crashedCount));
    const deleted = all.slice(0, held).filter((_, i) => isDeleted(i));
    if (deleted.length > 0) await redis.xdel(stream, ...deleted);
  }
  return DEMO.groups.map((g) => {
    const positions = Array.from({ length: g.crashedCount }, (_, i) => i);
    return {
      ...g,
      entries: DEMO.streams[g.stream] ?? 0,
      poison: positions.filter(isPoison).length,
      missingKey: positions.filter((i) => isMissingKey(i) && !isDeleted(i)).length,
      deleted: positions.filter(isDeleted).length,
      undelivered: (DEMO.streams[g.stream] ?? 0) - g.crashedCount - (g.live?.count ?? 0),
    };
  });
}

/** The crashed consumer reads its entries and dies: idle 15 minutes, delivery counts 1-3, poison 5-7. */
async function crash(redis: Redis, g: DemoGroup, ids: readonly string[]): Promise<void> {
  await redis.xreadgroup('GROUP', g.group, g.crashed, 'COUNT', g.crashedCount, 'STREAMS', g.stream, '>');
  if (g.live) await redis.xreadgroup('GROUP', g.group, g.live.name, 'COUNT', g.live.count, 'STREAMS', g.stream, '>');
  const byCount = new Map<number, string[]>();
  ids.slice(0, g.crashedCount).forEach((id, i) => {
    const deliveries = isPoison(i) ? DEMO.maxDeliveries + (i % 3) : 1 + (i % 3);
    byCount.set(deliveries, [...(byCount.get(deliveries) ?? []), id]);
  });
  for (const [deliveries, sameCount] of byCount) {
    await redis.call(
      'XCLAIM',
      g.stream,
      g.group,
      g.crashed,
      0,
      ...sameCount,
      'IDLE',
      DEMO.crashedIdleMs,
      'RETRYCOUNT',
      deliveries,
      'JUSTID',
      'FORCE',
    );
  }
}
