import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import type { Entry, Processor } from '../../src/reclaim/process';
import { runReclaim } from '../../src/reclaim/run';
import type { Settings } from '../../src/config/settings';
import {
  addEntries,
  createGroup,
  pendingOf,
  readAsConsumer,
  setPending,
  testSettings,
  tweet,
} from '../helpers/backlog';
import { readDeadLetters } from '../helpers/dlq';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

const client = (settings: Settings): Promise<RedisClient> => connections.open(settings);

/** Records which run processed which entry; throws for the IDs it is told to. */
function recorder(label: string, seen: Map<string, string[]>, failFor: Set<string> = new Set()): Processor {
  return {
    async process(entry: Entry) {
      seen.set(entry.id, [...(seen.get(entry.id) ?? []), label]);
      if (failFor.has(entry.id)) throw new Error('downstream unavailable');
    },
  };
}

describe('a processor that throws', () => {
  it('leaves those entries pending (failed) until MAX_DELIVERIES, then they are dead-lettered; the rest are processed', async () => {
    const settings = testSettings(server, { MAX_DELIVERIES: '3' });
    const c = await client(settings);
    const ids = await addEntries(
      redis,
      settings.streamName,
      Array.from({ length: 50 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, settings.streamName, settings.groupName);
    await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 50, { idleMs: 600_000 });
    const poison = new Set(ids.filter((_, i) => i % 10 === 0));
    const seen = new Map<string, string[]>();

    const first = await runReclaim({ client: c, settings, processor: recorder('r', seen, poison) });
    expect(first).toMatchObject({ claimed: 50, processed: 45, failed: 5, deadLettered: 0 });
    const stillPending = await pendingOf(redis, settings.streamName, settings.groupName);
    expect(stillPending.map(([id, owner, , count]) => [id, owner, count])).toEqual(
      [...poison].map((id) => [id, settings.consumerName, 2]),
    );

    // Each later run sees them idle again (backdated, delivery count kept).
    await setPending(redis, settings.streamName, settings.groupName, settings.consumerName, [...poison], 600_000);
    expect(await runReclaim({ client: c, settings, processor: recorder('r', seen, poison) })).toMatchObject({
      claimed: 5,
      failed: 5,
    });
    await setPending(redis, settings.streamName, settings.groupName, settings.consumerName, [...poison], 600_000);
    expect(await runReclaim({ client: c, settings, processor: recorder('r', seen, poison) })).toMatchObject({
      claimed: 0,
      deadLettered: 5,
    });

    const records = await readDeadLetters(redis, settings.deadLetterStream);
    expect(
      records.map((r) => [r.meta['dlq.id'], r.meta['dlq.reason'], r.meta['dlq.deliveries'], r.meta['dlq.consumer']]),
    ).toEqual([...poison].map((id) => [id, 'max-deliveries', '3', settings.consumerName]));
    expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
    // At most MAX_DELIVERIES deliveries: one original, two by the reclaimer.
    for (const id of poison) expect(seen.get(id)).toHaveLength(2);
  });
});

describe('two runs started at the same time', () => {
  it('process every entry exactly once between them and dead-letter none twice', async () => {
    const settings = testSettings(server, { MAX_DELIVERIES: '4', BATCH_SIZE: '50', CONCURRENCY: '8' });
    const [a, b] = [await client(settings), await client(settings)];
    const n = 2_000;
    const ids = await addEntries(
      redis,
      settings.streamName,
      Array.from({ length: n }, (_, i) => tweet(i)),
    );
    await createGroup(redis, settings.streamName, settings.groupName);
    await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', n, { idleMs: 600_000 });
    const overMax = ids.filter((_, i) => i % 9 === 0);
    await setPending(redis, settings.streamName, settings.groupName, 'crashed', overMax, 600_000, 4);
    const seen = new Map<string, string[]>();

    const [ra, rb] = await Promise.all([
      runReclaim({ client: a, settings, processor: recorder('a', seen) }),
      runReclaim({ client: b, settings, processor: recorder('b', seen) }),
    ]);

    const workable = n - overMax.length;
    // Both really worked on the backlog, and each lost some claims to the other.
    expect(Math.min(ra.processed, rb.processed)).toBeGreaterThan(0);
    expect(ra.skipped + rb.skipped).toBeGreaterThan(0);
    expect(ra.processed + rb.processed).toBe(workable);
    expect(ra.deadLettered + rb.deadLettered).toBe(overMax.length);
    expect(seen.size).toBe(workable);
    for (const runs of seen.values()) expect(runs).toHaveLength(1);
    const dlqIds = (await readDeadLetters(redis, settings.deadLetterStream)).map((r) => r.meta['dlq.id']);
    expect(new Set(dlqIds).size).toBe(dlqIds.length);
    expect(dlqIds.sort()).toEqual([...overMax].sort());
    expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
  });
});

describe('two fast-path runs started at the same time', () => {
  it('write every hash, dead-letter each poison entry once, leave nothing pending', async () => {
    const settings = testSettings(server, { MAX_DELIVERIES: '3', BATCH_SIZE: '40', HASH_KEY_FIELD: 'user' });
    const [a, b] = [await client(settings), await client(settings)];
    const n = 2_000;
    const ids = await addEntries(
      redis,
      settings.streamName,
      Array.from({ length: n }, (_, i) => ['user', `u${i}`, 'seq', String(i)]),
    );
    await createGroup(redis, settings.streamName, settings.groupName);
    await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', n, { idleMs: 600_000 });
    const overMax = ids.filter((_, i) => i % 7 === 0);
    await setPending(redis, settings.streamName, settings.groupName, 'crashed', overMax, 600_000, 3);

    const [ra, rb] = await Promise.all([runReclaim({ client: a, settings }), runReclaim({ client: b, settings })]);

    expect(ra.processed + rb.processed).toBe(n - overMax.length);
    expect(ra.deadLettered + rb.deadLettered).toBe(overMax.length);
    // Scan and settle are one atomic step per page: the runs interleave, and no entry is seen twice.
    expect(Math.min(ra.scanned, rb.scanned)).toBeGreaterThan(0);
    expect(ra.scanned + rb.scanned).toBe(n);
    const dlqIds = (await readDeadLetters(redis, settings.deadLetterStream)).map((r) => r.meta['dlq.id']);
    expect(new Set(dlqIds).size).toBe(overMax.length);
    expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
    const hashed = await Promise.all(ids.map((_, i) => redis.exists(`${settings.hashKeyPrefix}u${i}`)));
    expect(hashed.filter((x, i) => x === 1 && i % 7 !== 0)).toHaveLength(n - overMax.length);
    expect(hashed.filter((x, i) => x === 1 && i % 7 === 0)).toHaveLength(0);
  });
});

describe('settling is fenced', () => {
  it('a slow run taken over by a later run skips its entries: none is both hashed and dead-lettered', async () => {
    const settings = testSettings(server, { MAX_DELIVERIES: '3' });
    const [slow, later] = [await client(settings), await client(settings)];
    const ids = await addEntries(
      redis,
      settings.streamName,
      Array.from({ length: 10 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, settings.streamName, settings.groupName);
    await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 10, {
      idleMs: 600_000,
      deliveries: 1,
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const claimed = new Promise<void>((resolve) => (started = resolve));
    const hold: Processor = {
      async process() {
        started();
        await gate;
      },
    };

    const slowRun = runReclaim({ client: slow, settings, processor: hold });
    await claimed;
    // Time passes: the slow run's claims look abandoned, a later run takes half of them over.
    await setPending(redis, settings.streamName, settings.groupName, settings.consumerName, ids.slice(0, 5), 600_000);
    await setPending(redis, settings.streamName, settings.groupName, settings.consumerName, ids.slice(5), 600_000, 3);
    const laterSummary = await runReclaim({ client: later, settings });
    release();
    const slowSummary = await slowRun;

    expect(laterSummary).toMatchObject({ processed: 5, deadLettered: 5 });
    expect(slowSummary).toMatchObject({ claimed: 10, processed: 0, skipped: 10 });
    expect(await redis.xlen(settings.deadLetterStream)).toBe(5);
    for (const id of ids.slice(5)) expect(await redis.exists(`${settings.streamName}:${id}`)).toBe(0);
    expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
  });
});

describe('the time budget', () => {
  it('ends the run with complete: false when spent, and the next run finishes the job', async () => {
    const settings = testSettings(server, { BATCH_SIZE: '100', MAX_RUN_SEC: '1' });
    const c = await client(settings);
    const n = 5_000;
    await addEntries(
      redis,
      settings.streamName,
      Array.from({ length: n }, (_, i) => tweet(i)),
    );
    await createGroup(redis, settings.streamName, settings.groupName);
    await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', n, { idleMs: 600_000 });
    // The injected clock jumps past the budget once the first page is settled.
    let t = 1_000_000;
    const first = await runReclaim({ client: c, settings, now: () => t, onProgress: () => (t += 5_000) });

    expect(first.complete).toBe(false);
    expect(first.processed).toBeGreaterThan(0);
    // Pages already started finish: at most one per worker (4 on the fast path).
    expect(first.processed).toBeLessThanOrEqual(400);
    expect(first.durationMs).toBeGreaterThanOrEqual(1_000);
    const left = await pendingOf(redis, settings.streamName, settings.groupName);
    expect(left).toHaveLength(n - first.processed);
    expect(left.every(([, owner]) => owner === 'crashed')).toBe(true);

    const second = await runReclaim({ client: c, settings: { ...settings, maxRunMs: 240_000 } });
    expect(second).toMatchObject({ complete: true, processed: n - first.processed, skipped: 0 });
    expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
  });
});
