/**
 * The demo's backlog: an `orders` stream whose consumer `worker-1` crashed holding a few hundred
 * entries (idle 15 minutes; some poison, delivered MAX_DELIVERIES times or more; some without
 * the `orderId` key field; some deleted from the stream while pending), a live consumer
 * `worker-2` with fresh pending entries, and a few entries not delivered yet. Idle times are
 * backdated with XCLAIM … IDLE … RETRYCOUNT … JUSTID FORCE, so nothing sleeps.
 */
import type Redis from 'ioredis';

export const DEMO = Object.freeze({
  stream: 'orders',
  group: 'fulfilment',
  crashed: 'worker-1',
  live: 'worker-2',
  keyField: 'orderId',
  maxDeliveries: 5,
  minIdleSec: 60,
  crashedIdleMs: 15 * 60_000,
  total: 320,
  crashedCount: 260,
  liveCount: 40,
});

export interface SeedReport {
  entries: number;
  crashedPending: number;
  poison: number;
  missingKey: number;
  deleted: number;
  livePending: number;
  undelivered: number;
}

// Which of the crashed consumer's entries are special, by position (deterministic output).
const isMissingKey = (i: number): boolean => i % 25 === 7;
const isPoison = (i: number): boolean => i % 15 === 3;
const isDeleted = (i: number): boolean => i % 29 === 11 && !isPoison(i);

function order(i: number): string[] {
  const fields = isMissingKey(i) ? [] : [DEMO.keyField, `order-${1000 + i}`];
  return [...fields, 'customer', `c${(i * 7) % 37}`, 'amount', ((i * 37) % 500 + 0.99).toFixed(2), 'status', 'paid'];
}

export async function seedBacklog(redis: Redis): Promise<SeedReport> {
  const { stream, group } = DEMO;
  await redis.call('XGROUP', 'CREATE', stream, group, '$', 'MKSTREAM');
  const pipeline = redis.pipeline();
  for (let i = 0; i < DEMO.total; i++) pipeline.xadd(stream, '*', ...order(i));
  const ids = ((await pipeline.exec()) ?? []).map(([error, id]) => {
    if (error) throw error;
    return String(id);
  });

  await readGroup(redis, DEMO.crashed, DEMO.crashedCount);
  await readGroup(redis, DEMO.live, DEMO.liveCount);

  // The crashed consumer's entries: idle 15 minutes; delivery counts 1-3, poison 5-7.
  const byCount = new Map<number, string[]>();
  const crashed = ids.slice(0, DEMO.crashedCount);
  crashed.forEach((id, i) => {
    const deliveries = isPoison(i) ? DEMO.maxDeliveries + (i % 3) : 1 + (i % 3);
    byCount.set(deliveries, [...(byCount.get(deliveries) ?? []), id]);
  });
  for (const [deliveries, sameCount] of byCount) {
    await redis.call('XCLAIM', stream, group, DEMO.crashed, 0, ...sameCount, 'IDLE', DEMO.crashedIdleMs, 'RETRYCOUNT', deliveries, 'JUSTID', 'FORCE');
  }
  // Trimmed or deleted by someone else while still pending: orphans in the PEL.
  const deleted = crashed.filter((_, i) => isDeleted(i));
  if (deleted.length > 0) await redis.xdel(stream, ...deleted);

  const positions = crashed.map((_, i) => i);
  return {
    entries: DEMO.total,
    crashedPending: DEMO.crashedCount,
    poison: positions.filter(isPoison).length,
    missingKey: positions.filter((i) => isMissingKey(i) && !isDeleted(i)).length,
    deleted: deleted.length,
    livePending: DEMO.liveCount,
    undelivered: DEMO.total - DEMO.crashedCount - DEMO.liveCount,
  };
}

async function readGroup(redis: Redis, consumer: string, count: number): Promise<void> {
  await redis.xreadgroup('GROUP', DEMO.group, consumer, 'COUNT', count, 'STREAMS', DEMO.stream, '>');
}
