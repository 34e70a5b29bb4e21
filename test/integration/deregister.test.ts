import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { connect, type RedisClient } from '../../src/redis/connection';
import { deregisterIdleConsumers, listConsumers, type DeregisterSettings } from '../../src/reclaim/deregister';
import { deleteIdleConsumer } from '../../src/redis/delete-idle-consumer';
import {
  addEntries,
  createGroup,
  readAsConsumer,
  setPending,
  testSettings,
  tweet,
  uniqueName,
} from '../helpers/backlog';
import { redisCli } from '../helpers/operator';
import type { RedisServer } from '../helpers/redis-server';
import { createConsumer } from '../helpers/server-version';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
let redis: Redis;
let client: RedisClient;

useRedis({}, (started) => ([server, redis] = [started, started.client()]));
beforeAll(async () => {
  client = await connect(testSettings(server));
});
afterAll(async () => {
  client?.disconnect();
});

const OWN = 'reclaimer';

interface ConsumerPlan {
  name: string;
  /** Entries it reads and never acks. */
  pending: number;
  /** It also read one entry and acked it (a consumer that did work and finished). */
  ackedOne: boolean;
}

/** Builds the group: each consumer reads (and maybe acks); one with nothing read is created explicitly. */
async function prepare(stream: string, group: string, plans: readonly ConsumerPlan[]): Promise<void> {
  await addEntries(
    redis,
    stream,
    Array.from({ length: 40 }, (_, i) => tweet(i)),
  );
  await createGroup(redis, stream, group);
  for (const p of plans) {
    if (p.ackedOne) {
      const [id] = await readAsConsumer(redis, stream, group, p.name, 1);
      await redis.xack(stream, group, id as string);
    }
    if (p.pending > 0) {
      const ids = await readAsConsumer(redis, stream, group, p.name, p.pending);
      // Idle entries, as a crashed consumer leaves them (the consumer's own idle stays real time).
      await setPending(redis, stream, group, p.name, ids, 3_600_000);
    } else if (!p.ackedOne) {
      await createConsumer(redis, stream, group, p.name);
    }
  }
}

const plansArb = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom(OWN, 'worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5', 'crashed'),
    pending: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 })),
    ackedOne: fc.boolean(),
  }),
  { selector: (p) => p.name, minLength: 1, maxLength: 7 },
);
// Real consumer idle times here are 0–30 ms: thresholds around them, plus "off in practice".
const thresholdArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 }), fc.constant(86_400_000));

describe('deregisterIdleConsumers', () => {
  it('never deletes a consumer with pending entries, nor its own; deletes every idle empty one (property)', async () => {
    await fc.assert(
      fc.asyncProperty(plansArb, thresholdArb, fc.boolean(), async (plans, threshold, dryRun) => {
        const stream = uniqueName('dereg');
        const group = 'g';
        await prepare(stream, group, plans);
        const t0 = Date.now();
        const before = await listConsumers(client, stream, group);
        const settings: DeregisterSettings = {
          streamName: stream,
          groupName: group,
          consumerName: OWN,
          deregisterIdleMs: threshold,
          dryRun,
        };
        const result = await deregisterIdleConsumers(client, settings);
        const elapsed = Date.now() - t0;
        const after = (
          redisCli(server, 'XINFO', 'CONSUMERS', stream, group) as { name: string; pending: number }[]
        ).map((c) => c.name);

        const deleted = before.filter((c) => !after.includes(c.name.toString()));
        if (dryRun) expect(deleted).toEqual([]);
        else expect(result).toBe(deleted.length);
        for (const c of before) {
          const name = c.name.toString();
          // kept ⇐ had pending entries, or is the reclaimer's own consumer
          if (c.pending > 0 || name === OWN) expect(after).toContain(name);
        }
        for (const c of deleted) {
          // deleted ⇒ nothing pending, idle (now) past the threshold, not its own
          expect(c.pending).toBe(0);
          // (+ 1: the server's clock and this process's round to the millisecond apart.)
          expect(c.idleMs + elapsed + 1).toBeGreaterThan(threshold);
          expect(c.name.toString()).not.toBe(OWN);
        }
        // Idle only grows: whatever was already past the threshold with nothing pending goes (or is counted).
        const sure = before.filter((c) => c.pending === 0 && c.idleMs > threshold && c.name.toString() !== OWN);
        if (dryRun) expect(result).toBeGreaterThanOrEqual(sure.length);
        else for (const c of sure) expect(after).not.toContain(c.name.toString());
        // The PEL is untouched either way.
        expect((redisCli(server, 'XPENDING', stream, group) as [number])[0]).toBe(
          plans.reduce((n, p) => n + p.pending, 0),
        );
        await redis.del(stream);
      }),
      { numRuns: 60 },
    );
  });

  it('re-checks inside the script: a candidate that read entries since the listing is kept', async () => {
    const stream = uniqueName('race');
    await addEntries(redis, stream, [tweet(1), tweet(2)]);
    await createGroup(redis, stream, 'g');
    await createConsumer(redis, stream, 'g', 'late');
    const [seen] = await listConsumers(client, stream, 'g');
    expect(seen).toMatchObject({ pending: 0 });
    await readAsConsumer(redis, stream, 'g', 'late', 2, { idleMs: 3_600_000 });
    expect(await deleteIdleConsumer(client, stream, { group: 'g', consumer: 'late', idleMs: -1, protect: OWN })).toBe(
      false,
    );
    expect(redisCli(server, 'XINFO', 'CONSUMERS', stream, 'g')).toMatchObject([{ name: 'late', pending: 2 }]);
  });

  it('is off without DEREGISTER_IDLE_SEC, and never deletes its own consumer even when idle and empty', async () => {
    const stream = uniqueName('own');
    await createGroup(redis, stream, 'g');
    await createConsumer(redis, stream, 'g', OWN);
    await createConsumer(redis, stream, 'g', 'other');
    const base = { streamName: stream, groupName: 'g', consumerName: OWN, dryRun: false };
    expect(await deregisterIdleConsumers(client, { ...base, deregisterIdleMs: undefined })).toBe(0);
    expect(await deleteIdleConsumer(client, stream, { group: 'g', consumer: OWN, idleMs: -1, protect: OWN })).toBe(
      false,
    );
    // Idle must exceed the threshold: let a few ms pass so `other` is idle > 0 ms.
    await new Promise((r) => setTimeout(r, 5));
    expect(await deregisterIdleConsumers(client, { ...base, deregisterIdleMs: 0 })).toBe(1);
    expect(redisCli(server, 'XINFO', 'CONSUMERS', stream, 'g')).toMatchObject([{ name: OWN }]);
  });
});
