/**
 * Leases beside the reclaimer (docs/design.md §2, "Leases"), on each path: the fast path (the
 * built-in hash writer), the general path (a custom processor) and the 6.0 scan strategy.
 *
 * Minutes without sleeping: time is advanced in steps by raising every consumer entry's idle
 * time exactly (`XCLAIM … IDLE <idle + step> JUSTID`, owner and count kept), so an entry a
 * consumer stopped renewing ages step after step, and one it renews starts again from zero.
 * Then renewals race real reclaimer runs, round after round (some entries at the delivery limit):
 * whichever wins an entry, nothing is lost and nothing is hashed or dead-lettered twice.
 */
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/config/settings';
import { renewLease } from '../../src/redis/lease';
import { buildKeys } from '../../src/redis/keys';
import { createHashWriter, type Processor } from '../../src/reclaim/process';
import { runReclaim, type Summary } from '../../src/reclaim/run';
import {
  addEntries,
  createGroup,
  pendingOf,
  readAsConsumer,
  setPending,
  testSettings,
  tweet,
} from '../helpers/backlog';
import { checkInvariant } from '../helpers/invariant';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

const MIN_IDLE_MS = 60_000;
/** One step of simulated time: shorter than the threshold, so a consumer renewing every step keeps its entries. */
const STEP_MS = 40_000;
type Row = [string, string, number, number];

const PATHS = [
  { name: 'the fast path', env: {}, custom: false },
  { name: 'the general path (custom processor)', env: {}, custom: true },
  { name: 'the 6.0 scan strategy', env: { RECLAIM_STRATEGY: 'redis6.0' }, custom: false },
] as const;

/** The hash writer, counting how often each entry is processed (the general path: no HASH_WRITER mark). */
function counting(settings: Settings, seen: Map<string, number>): Processor {
  const writer = createHashWriter(buildKeys(settings), settings.hashKeyField);
  return {
    process: (entry, source) => (seen.set(entry.id, (seen.get(entry.id) ?? 0) + 1), writer.process(entry, source)),
  };
}

/** Advances time by `ms` for every entry a consumer (not the reclaimer) holds: idle + ms, owner and count kept. */
async function advance(s: Settings, ms: number): Promise<void> {
  const pipeline = redis.pipeline();
  for (const [id, owner, idle] of await pendingOf(redis, s.streamName, s.groupName)) {
    if (owner !== s.consumerName)
      pipeline.call('XCLAIM', s.streamName, s.groupName, owner, 0, id, 'IDLE', idle + ms, 'JUSTID');
  }
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

async function seed(s: Settings, readers: Record<string, number>): Promise<Record<string, string[]>> {
  const total = Object.values(readers).reduce((a, b) => a + b, 0);
  await addEntries(
    redis,
    s.streamName,
    Array.from({ length: total }, (_, i) => tweet(i)),
  );
  await createGroup(redis, s.streamName, s.groupName);
  const out: Record<string, string[]> = {};
  for (const [consumer, n] of Object.entries(readers))
    out[consumer] = await readAsConsumer(redis, s.streamName, s.groupName, consumer, n);
  return out;
}

const entriesOf = async (s: Settings): Promise<Map<string, string[]>> =>
  new Map((await redis.xrange(s.streamName, '-', '+')).map(([id, fields]) => [id, fields]));

describe.each(PATHS)('leases on $name', ({ env, custom }) => {
  it('a consumer renewing every step keeps its entries for 20 simulated minutes; a crashed one and one that stops renewing lose theirs', async () => {
    const s = testSettings(server, { MIN_IDLE_TIME_SEC: String(MIN_IDLE_MS / 1000), BATCH_SIZE: '7', ...env });
    const c = await connections.open(s);
    const seen = new Map<string, number>();
    const { steady = [], crashed = [], stalls = [] } = await seed(s, { steady: 20, crashed: 20, stalls: 20 });
    const entries = await entriesOf(s);
    const STEPS = 30; // 30 × 40 s = 20 minutes
    const STOPS_AFTER = 10;
    const processedAt = new Map<number, number>();

    for (let step = 1; step <= STEPS; step++) {
      await advance(s, STEP_MS);
      const summary: Summary = await runReclaim({
        client: c,
        settings: s,
        ...(custom ? { processor: counting(s, seen) } : {}),
      });
      expect(summary).toMatchObject({ complete: true, failed: 0, deadLettered: 0, orphaned: 0 });
      if (summary.processed > 0) processedAt.set(step, summary.processed);

      const rows = new Map((await pendingOf(redis, s.streamName, s.groupName)).map((r): [string, Row] => [r[0], r]));
      // The renewed entries: still the consumer's, delivered once, every step.
      for (const id of steady)
        expect(
          rows
            .get(id)
            ?.slice(1)
            .filter((_, i) => i !== 1),
        ).toEqual(['steady', 1]);
      expect(crashed.filter((id) => rows.has(id))).toHaveLength(step < 2 ? 20 : 0);
      expect(stalls.filter((id) => rows.has(id))).toHaveLength(step < STOPS_AFTER + 2 ? 20 : 0);

      expect(
        await renewLease(redis, { stream: s.streamName, group: s.groupName, consumer: 'steady', ids: steady }),
      ).toEqual(steady);
      const stallsRenewed = await renewLease(redis, {
        stream: s.streamName,
        group: s.groupName,
        consumer: 'stalls',
        ids: step <= STOPS_AFTER ? stalls : [],
      });
      expect(stallsRenewed).toEqual(step <= STOPS_AFTER ? stalls : []);
    }

    // Each lost backlog went at the first step its idle time reached the threshold, in one run.
    expect([...processedAt]).toEqual([
      [2, 20],
      [STOPS_AFTER + 2, 20],
    ]);
    // A consumer that comes back after losing its entries renews none of them, and resurrects nothing.
    expect(
      await renewLease(redis, { stream: s.streamName, group: s.groupName, consumer: 'stalls', ids: stalls }),
    ).toEqual([]);
    const pending = await pendingOf(redis, s.streamName, s.groupName);
    expect(pending.map(([id, owner, , count]) => [id, owner, count])).toEqual(steady.map((id) => [id, 'steady', 1]));
    if (custom) expect([...seen.values()].every((n) => n === 1) && seen.size === 40).toBe(true);
    const report = await checkInvariant(redis, s, { entries, live: new Set(steady) }, { final: true });
    expect(report.violations).toEqual([]);
    expect(report.states).toMatchObject({ pending: 20, hashed: 40 });
  });

  it('renewals racing reclaimer runs, 5 rounds: each entry is kept by its consumer or settled (hashed or dead-lettered) once, none lost', async () => {
    const ROUNDS = 5;
    const PER_ROUND = 300;
    const s = testSettings(server, {
      MIN_IDLE_TIME_SEC: String(MIN_IDLE_MS / 1000),
      BATCH_SIZE: '25',
      CONCURRENCY: '4',
      ...env,
    });
    const c = await connections.open(s);
    const seen = new Map<string, number>();
    await createGroup(redis, s.streamName, s.groupName);
    const kept = new Set<string>();
    let processed = 0;
    let deadLettered = 0;

    for (let round = 0; round < ROUNDS; round++) {
      await addEntries(
        redis,
        s.streamName,
        Array.from({ length: PER_ROUND }, (_, i) => tweet(round * PER_ROUND + i)),
      );
      const ids = await readAsConsumer(redis, s.streamName, s.groupName, 'worker', PER_ROUND, { idleMs: 600_000 });
      // One in ten at the delivery limit: the run dead-letters it unless the renewal comes first.
      const poison = new Set(ids.filter((_, i) => i % 10 === 0));
      await setPending(redis, s.streamName, s.groupName, 'worker', [...poison], 600_000, s.maxDeliveries);
      const everRenewed = new Set<string>();
      let done = false;
      const run = runReclaim({ client: c, settings: s, ...(custom ? { processor: counting(s, seen) } : {}) }).finally(
        () => (done = true),
      );
      // The consumer renews its entries in slices, in a shuffled order, until the run is over (bounded).
      const order = [...ids].sort(() => Math.random() - 0.5);
      for (let call = 0; !done && call < 300; call++) {
        const slice = order.slice((call * 10) % PER_ROUND, ((call * 10) % PER_ROUND) + 10);
        for (const id of await renewLease(redis, {
          stream: s.streamName,
          group: s.groupName,
          consumer: 'worker',
          ids: slice,
        }))
          everRenewed.add(id);
      }
      const summary = await run;
      expect(summary).toMatchObject({ complete: true, failed: 0 });
      processed += summary.processed;
      deadLettered += summary.deadLettered;

      const rows = (await pendingOf(redis, s.streamName, s.groupName)).filter(([id]) => ids.includes(id));
      // Nothing the reclaimer took is left half-done, and what the consumer kept it kept untouched.
      for (const [id, owner, , count] of rows) {
        expect([owner, count]).toEqual(['worker', poison.has(id) ? s.maxDeliveries : 1]);
        expect(everRenewed.has(id)).toBe(true);
        kept.add(id);
      }
      expect(summary.processed + summary.deadLettered + rows.length).toBe(PER_ROUND);
      // The consumer can renew exactly what it still owns.
      const again = await renewLease(redis, { stream: s.streamName, group: s.groupName, consumer: 'worker', ids });
      expect(again).toEqual(ids.filter((id) => rows.some(([r]) => r === id)));
    }

    if (custom) expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    const report = await checkInvariant(redis, s, { entries: await entriesOf(s), live: kept }, { final: true });
    expect(report.violations).toEqual([]);
    expect(report.states).toMatchObject({ pending: kept.size, hashed: processed, 'dead-lettered': deadLettered });
    expect(kept.size + processed + deadLettered).toBe(ROUNDS * PER_ROUND);
  });
});
