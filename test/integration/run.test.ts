import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import { runReclaim } from '../../src/reclaim/run';
import type { Settings } from '../../src/config/settings';
import {
  addEntries,
  createGroup,
  pendingOf,
  readAsConsumer,
  testSettings,
  tweet,
  type Fields,
} from '../helpers/backlog';
import { DLQ_META, readDeadLetters } from '../helpers/dlq';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';
import { createConsumer } from '../helpers/server-version';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

async function setup(env: Record<string, string> = {}): Promise<{ settings: Settings; client: RedisClient }> {
  const settings = testSettings(server, env);
  const client = await connections.open(settings);
  return { settings, client };
}

const pairs = (fields: readonly (string | Buffer)[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) out[String(fields[i])] = String(fields[i + 1]);
  return out;
};

describe.each([
  ['fast path (one script per page)', true],
  ['general path (processor + fenced settle)', false],
])('%s', (_label, fastPath) => {
  describe('a crashed consumer backlog', () => {
    it('is fully reclaimed into hashes with exactly their fields, PEL empty, counts exact', async () => {
      const { settings, client } = await setup({ BATCH_SIZE: '250' });
      const n = 3_000;
      const ids = await addEntries(
        redis,
        settings.streamName,
        Array.from({ length: n }, (_, i) => tweet(i)),
      );
      await createGroup(redis, settings.streamName, settings.groupName);
      await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', n, { idleMs: 600_000 });

      const lines: string[] = [];
      const logger = {
        info: (m: string, f?: object) => lines.push(`${m} ${JSON.stringify(f)}`),
        warn() {},
        error() {},
      };
      const summary = await runReclaim({ client, settings, fastPath, logger });

      expect(lines[0]).toContain(`"path":"${fastPath ? 'fast' : 'general'}"`);
      expect(summary).toMatchObject({
        scanned: n,
        claimed: n,
        processed: n,
        deadLettered: 0,
        orphaned: 0,
        failed: 0,
        skipped: 0,
        complete: true,
      });
      expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
      for (const [i, id] of ids.entries()) {
        expect(await redis.hgetall(`${settings.streamName}:${id}`)).toEqual(pairs(tweet(i)));
      }
    });
  });

  describe('fresh entries of a live consumer', () => {
    it('are untouched: still pending with their owner, no hash written', async () => {
      const { settings, client } = await setup();
      await addEntries(
        redis,
        settings.streamName,
        Array.from({ length: 200 }, (_, i) => tweet(i)),
      );
      await createGroup(redis, settings.streamName, settings.groupName);
      const crashed = await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 100, {
        idleMs: 120_000,
      });
      const live = await readAsConsumer(redis, settings.streamName, settings.groupName, 'live', 100);

      const summary = await runReclaim({ client, settings, fastPath });

      expect(summary).toMatchObject({ scanned: 100, processed: 100, skipped: 0 });
      const pending = await pendingOf(redis, settings.streamName, settings.groupName);
      expect(pending.map(([id, owner, , deliveries]) => [id, owner, deliveries])).toEqual(
        live.map((id) => [id, 'live', 1]),
      );
      for (const id of live) expect(await redis.exists(`${settings.streamName}:${id}`)).toBe(0);
      for (const id of crashed) expect(await redis.exists(`${settings.streamName}:${id}`)).toBe(1);
    });
  });

  describe('an idle backlog interleaved with live entries', () => {
    // 1 idle in 2 and 1 idle in 5: the fast path's ranged read over a page then meets others'
    // entries, and at 1 in 5 it is cut short and the rest are looked up one by one.
    it.each([2, 5])('writes every hash from its own entry when 1 in %i pending entries is idle', async (every) => {
      const { settings, client } = await setup({ BATCH_SIZE: '10' });
      const n = 60 * every;
      const ids = await addEntries(
        redis,
        settings.streamName,
        Array.from({ length: n }, (_, i) => tweet(i)),
      );
      await createGroup(redis, settings.streamName, settings.groupName);
      const idle: string[] = [];
      for (let i = 0; i < n; i += every) {
        idle.push(
          ...(await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 1, { idleMs: 120_000 })),
        );
        await readAsConsumer(redis, settings.streamName, settings.groupName, 'live', every - 1);
      }

      const summary = await runReclaim({ client, settings, fastPath });

      expect(summary).toMatchObject({ scanned: 60, processed: 60, orphaned: 0, skipped: 0, complete: true });
      for (const [i, id] of ids.entries()) {
        const hash = await redis.hgetall(`${settings.streamName}:${id}`);
        expect(hash).toEqual(idle.includes(id) ? pairs(tweet(i)) : {});
      }
      expect((await pendingOf(redis, settings.streamName, settings.groupName)).map(([, owner]) => owner)).toEqual(
        Array(n - 60).fill('live'),
      );
    });
  });

  describe('dead-lettering', () => {
    it('parks entries at MAX_DELIVERIES and entries missing the key field, once, with every metadata field', async () => {
      const { settings, client } = await setup({ HASH_KEY_FIELD: 'user', MAX_DELIVERIES: '3' });
      const good = await addEntries(redis, settings.streamName, [
        ['user', 'ann', 'n', '1'],
        ['user', 'bob', 'n', '2'],
      ]);
      const noKey = await addEntries(redis, settings.streamName, [['n', '3', 'n', 'dup', 'dlq.id', 'spoof']]);
      const overMax = await addEntries(redis, settings.streamName, [['user', 'cid', 'n', '4']]);
      await createGroup(redis, settings.streamName, settings.groupName);
      await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 3, {
        idleMs: 90_000,
        deliveries: 1,
      });
      await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 1, {
        idleMs: 95_000,
        deliveries: 3,
      });

      const before = Date.now();
      const first = await runReclaim({ client, settings, fastPath });
      const second = await runReclaim({ client, settings, fastPath });

      expect(first).toMatchObject({
        scanned: 4,
        claimed: 3,
        processed: 2,
        deadLettered: 2,
        orphaned: 0,
        failed: 0,
        skipped: 0,
      });
      expect(second).toMatchObject({ scanned: 0, deadLettered: 0 });
      expect(await redis.hgetall(`${settings.hashKeyPrefix}ann`)).toEqual({ user: 'ann', n: '1' });
      expect(await redis.hgetall(`${settings.hashKeyPrefix}bob`)).toEqual({ user: 'bob', n: '2' });
      expect(good).toHaveLength(2);

      const records = await readDeadLetters(redis, settings.deadLetterStream);
      expect(records).toHaveLength(2);
      const byId = new Map(records.map((r) => [r.meta['dlq.id'], r]));
      const missing = byId.get(noKey[0]);
      const max = byId.get(overMax[0]);
      expect(missing?.original.map(String)).toEqual(['n', '3', 'n', 'dup', 'dlq.id', 'spoof']);
      expect(max?.original.map(String)).toEqual(['user', 'cid', 'n', '4']);
      expect(Object.keys(max?.meta ?? {})).toEqual(DLQ_META);
      expect(max?.meta).toMatchObject({
        'dlq.stream': settings.streamName,
        'dlq.group': settings.groupName,
        'dlq.consumer': 'crashed',
        'dlq.deliveries': '3',
        'dlq.reason': 'max-deliveries',
        'dlq.error': '',
      });
      expect(Number(max?.meta['dlq.idle_ms'])).toBeGreaterThanOrEqual(95_000);
      expect(Number(max?.meta['dlq.at'])).toBeGreaterThanOrEqual(before);
      // The record shows the owner and count the scan saw, before the reclaimer's claim.
      expect(missing?.meta).toMatchObject({
        'dlq.reason': 'missing-key-field',
        'dlq.consumer': 'crashed',
        'dlq.deliveries': '1',
      });
      expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
    });
  });

  describe('orphans', () => {
    it('clears entries deleted (XDEL) or trimmed (XTRIM) while pending, without stopping the batch', async () => {
      const { settings, client } = await setup({ BATCH_SIZE: '10', MAX_DELIVERIES: '2' });
      const ids = await addEntries(
        redis,
        settings.streamName,
        Array.from({ length: 40 }, (_, i) => tweet(i)),
      );
      await createGroup(redis, settings.streamName, settings.groupName);
      await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 40, { idleMs: 600_000 });
      await redis.xtrim(settings.streamName, 'MAXLEN', 35); // trims the first five (MINID needs 6.2)
      await redis.xdel(settings.streamName, ids[12] as string, ids[13] as string, ids[30] as string);
      // An over-delivered entry that is also gone is an orphan, not a dead letter.
      await redis.call(
        'XCLAIM',
        settings.streamName,
        settings.groupName,
        'crashed',
        0,
        ids[31] as string,
        'IDLE',
        600_000,
        'RETRYCOUNT',
        2,
        'JUSTID',
      );
      await redis.xdel(settings.streamName, ids[31] as string);

      const summary = await runReclaim({ client, settings, fastPath });

      expect(summary).toMatchObject({ scanned: 40, orphaned: 9, processed: 31, deadLettered: 0, failed: 0 });
      expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
      expect(await redis.xlen(settings.deadLetterStream)).toBe(0);
      expect(await redis.exists(`${settings.streamName}:${ids[12]}`)).toBe(0);
      expect(await redis.exists(`${settings.streamName}:${ids[14]}`)).toBe(1);
    });
  });

  describe('field values', () => {
    it('round-trip exactly: binary, empty, 1 MB, 100 fields, duplicate names', async () => {
      const { settings, client } = await setup({ BATCH_SIZE: '3' });
      const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const big = Buffer.alloc(1024 * 1024, 'x');
      big[77] = 0;
      const wide: Fields = Array.from({ length: 100 }, (_, i) => [`f${i}`, `v${i}`]).flat();
      const entries: Fields[] = [[Buffer.from([0xff, 0xfe]), binary, 'empty', ''], ['big', big], wide];
      const ids = await addEntries(redis, settings.streamName, entries);
      await createGroup(redis, settings.streamName, settings.groupName);
      await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 3, { idleMs: 600_000 });

      expect(await runReclaim({ client, settings, fastPath })).toMatchObject({ processed: 3, failed: 0 });

      const read = (id: string) => redis.hgetallBuffer(`${settings.streamName}:${id}`);
      const first = await read(ids[0] as string);
      expect(Object.keys(first)).toHaveLength(2);
      const raw = (await redis.callBuffer(
        'HGET',
        `${settings.streamName}:${ids[0]}`,
        Buffer.from([0xff, 0xfe]),
      )) as Buffer;
      expect(raw.equals(binary)).toBe(true);
      expect(String(first.empty)).toBe('');
      expect((await read(ids[1] as string)).big?.equals(big)).toBe(true);
      expect(await redis.hgetall(`${settings.streamName}:${ids[2]}`)).toEqual(pairs(wide));
    });
  });

  describe('consumer clean-up during a run', () => {
    it('deletes idle consumers with nothing pending, keeps those with pending entries, counts them', async () => {
      const { settings, client } = await setup({ DEREGISTER_IDLE_SEC: '0.001' });
      await addEntries(
        redis,
        settings.streamName,
        Array.from({ length: 4 }, (_, i) => tweet(i)),
      );
      await createGroup(redis, settings.streamName, settings.groupName);
      await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 2, { idleMs: 600_000 });
      await readAsConsumer(redis, settings.streamName, settings.groupName, 'busy', 2);
      await createConsumer(redis, settings.streamName, settings.groupName, 'gone');
      await new Promise((r) => setTimeout(r, 5)); // 'gone' must be idle past the 1 ms threshold

      const summary = await runReclaim({ client, settings, fastPath });

      // 'crashed' had its entries reclaimed, so it is empty and idle now; 'busy' still owns two.
      expect(summary).toMatchObject({ processed: 2, deregistered: 2 });
      const names = ((await redis.xinfo('CONSUMERS', settings.streamName, settings.groupName)) as string[][]).map(
        (c) => c[1],
      );
      // The fast path never claims, so the reclaimer's own consumer exists only on the general path.
      expect(names.sort()).toEqual((fastPath ? ['busy'] : ['busy', settings.consumerName]).sort());
    });
  });
});
