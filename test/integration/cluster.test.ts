/**
 * Redis Cluster specifics (always on a local 3-master cluster, whatever TEST_SERVER says):
 * streams in different slots, a slot moved while a run works on it, and keys without a common
 * hash tag (the at-least-once path). The core suite also runs on a cluster (TEST_SERVER=cluster).
 */
import { describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import type { RedisClient } from '../../src/redis/connection';
import { buildKeys } from '../../src/redis/keys';
import { createHashWriter, type Processor } from '../../src/reclaim/process';
import { runReclaim, type Summary } from '../../src/reclaim/run';
import { runTargets, shardOf } from '../../src/reclaim/run-targets';
import { checkInvariant } from '../helpers/invariant';
import type { Settings } from '../../src/config/settings';
import type { Logger } from '../../src/telemetry/logger';
import {
  addEntries,
  createGroup,
  pendingOf,
  readAsConsumer,
  testSettings,
  tweet,
  uniqueName,
} from '../helpers/backlog';
import { readDeadLetters } from '../helpers/dlq';
import type { RedisCluster } from '../helpers/redis-cluster';
import { expectedCounts, seedMixed } from '../helpers/scenario';
import { useRedis } from '../helpers/use-redis';

let cluster: RedisCluster;
let redis: Cluster;

const connections = useRedis({ cluster: {} }, (started) => ([cluster, redis] = [started, started.client()]));

async function setup(env: Record<string, string>): Promise<{ settings: Settings; client: RedisClient }> {
  const settings = testSettings({ host: cluster.host, port: cluster.port, cluster: true }, env);
  const client = await connections.open(settings);
  return { settings, client };
}

const slotOf = async (key: string): Promise<number> => Number(await redis.cluster('KEYSLOT', key));

/** Records warnings, to check what a run says at start. */
function recordingLogger(warnings: string[]): Logger {
  return { info: () => undefined, error: () => undefined, warn: (message) => warnings.push(message) };
}

describe('a backlog spread over streams with different hash tags', () => {
  it('is reclaimed by one run per stream, on every master, atomically', async () => {
    // Tags chosen until the streams live on all three masters.
    const streams: string[] = [];
    const owners = new Set<number>();
    while (owners.size < 3) {
      const stream = `{${uniqueName('orders')}}:stream`;
      const owner = await cluster.ownerOf(await slotOf(stream));
      if (owners.has(owner)) continue;
      owners.add(owner);
      streams.push(stream);
    }
    for (const stream of streams) {
      const tag = stream.slice(0, stream.indexOf('}') + 1);
      const { settings, client } = await setup({
        STREAM_NAME: stream,
        DEAD_LETTER_STREAM: `${tag}:dlq`,
        HASH_KEY_PREFIX: `${tag}:h:`,
        HASH_KEY_FIELD: 'user',
        BATCH_SIZE: '32',
      });
      const seeded = await seedMixed(redis, settings);
      const warnings: string[] = [];

      const summary = await runReclaim({ client, settings, logger: recordingLogger(warnings) });

      expect(summary).toMatchObject({
        ...expectedCounts(seeded),
        failed: 0,
        skipped: 0,
        complete: true,
      });
      expect(warnings).toEqual([]);
      const pending = await pendingOf(redis, stream, settings.groupName);
      expect(pending.map(([id]) => id)).toEqual(seeded.live);
      expect(await redis.xlen(settings.deadLetterStream)).toBe(seeded.overMax.length + seeded.noKey.length);
      expect(await redis.hget(`${tag}:h:u1`, 'seq')).toBe('1');
    }
  });
});

describe('a slot moved during a run', () => {
  it.each([
    ['fast path, run started while the slot is half-migrated', true],
    ['general path, slot moved after the first page', false],
  ])('loses nothing: %s', async (_label, fast) => {
    const { settings, client } = await setup({ BATCH_SIZE: '50', CONCURRENCY: '4' });
    const n = 3_000;
    const ids = await addEntries(
      redis,
      settings.streamName,
      Array.from({ length: n }, (_, i) => tweet(i)),
    );
    await createGroup(redis, settings.streamName, settings.groupName);
    await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', n, { idleMs: 600_000 });
    const slot = await slotOf(settings.streamName);
    const writer = createHashWriter(buildKeys(settings), '');
    // The general path with a processor slow enough that the reshard overlaps many pages.
    const slow: Processor = {
      async process(entry, source) {
        await new Promise((r) => setTimeout(r, 2));
        return writer.process(entry, source);
      },
    };
    let moved: Promise<{ from: number; to: number }> | undefined;
    let movedAt = 0;
    const move = (): void => {
      moved ??= cluster.migrateSlot(slot, fast ? 300 : 0).then((r) => {
        movedAt = Date.now();
        return r;
      });
    };
    if (fast) move(); // the slot is half-open before the run's first command

    const summary = await runReclaim({ client, settings, ...(fast ? {} : { processor: slow, onProgress: move }) });
    const endedAt = Date.now();
    const { from, to } = await (moved as Promise<{ from: number; to: number }>);

    expect(movedAt).toBeLessThan(endedAt); // the move finished while the run was still working
    expect(await cluster.ownerOf(slot)).toBe(to);
    expect(to).not.toBe(from);
    expect(summary).toMatchObject({ scanned: n, claimed: n, processed: n, failed: 0, skipped: 0, complete: true });
    expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
    const hashes = await Promise.all(ids.map((id) => redis.hget(`${settings.hashKeyPrefix}${id}`, 'seq')));
    expect(hashes).toEqual(ids.map((_, i) => String(i)));
  });
});

describe('keys without a common hash tag', () => {
  it('are settled at-least-once (write, then fenced ack), said once at start, nothing lost', async () => {
    const stream = uniqueName('plain');
    const { settings, client } = await setup({ STREAM_NAME: stream, HASH_KEY_FIELD: 'user', BATCH_SIZE: '16' });
    expect([await slotOf(settings.deadLetterStream), await slotOf(`${settings.hashKeyPrefix}u1`)]).not.toContain(
      await slotOf(stream),
    );
    const seeded = await seedMixed(redis, settings, 120);
    const warnings: string[] = [];

    const summary = await runReclaim({ client, settings, logger: recordingLogger(warnings) });

    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/at-least-once/);
    expect(summary).toMatchObject({
      ...expectedCounts(seeded),
      failed: 0,
      skipped: 0,
      complete: true,
    });
    expect((await pendingOf(redis, stream, settings.groupName)).map(([id]) => id)).toEqual(seeded.live);
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    expect(records.map((r) => r.meta['dlq.id']).sort()).toEqual([...seeded.overMax, ...seeded.noKey].sort());
    expect(new Set(records.map((r) => r.meta['dlq.reason']))).toEqual(new Set(['max-deliveries', 'missing-key-field']));
    expect(await redis.hgetall(`${settings.hashKeyPrefix}u1`)).toEqual({ user: 'u1', seq: '1' });
    expect(await runReclaim({ client, settings })).toMatchObject({ scanned: 0, deadLettered: 0, processed: 0 });
  });
});

// Issue 18: several targets across shards, found by STREAM_PATTERN (SCAN on every master).
describe('targets across cluster shards', () => {
  it('a pattern finds three hash-tagged streams on three masters; one run reclaims them all', async () => {
    const suffix = uniqueName('orders');
    const group = uniqueName('group');
    const streams: string[] = [];
    const owners = new Set<number>();
    while (owners.size < 3) {
      const stream = `{${uniqueName('t')}}:${suffix}`;
      const owner = await cluster.ownerOf(await slotOf(stream));
      if (owners.has(owner)) continue;
      owners.add(owner);
      streams.push(stream);
    }
    const seeded = new Map<string, Map<string, string[]>>();
    for (const [i, stream] of streams.entries()) {
      const entries = Array.from({ length: 40 + i * 10 }, (_, n) => tweet(n));
      const ids = await addEntries(redis, stream, entries);
      await createGroup(redis, stream, group);
      await readAsConsumer(redis, stream, group, 'crashed', entries.length, { idleMs: 600_000 });
      seeded.set(stream, new Map(ids.map((id, n) => [id, entries[n] as string[]])));
    }
    const { settings, client } = await setup({
      STREAM_NAME: '',
      STREAM_PATTERN: `*:${suffix}`,
      STREAM_CONSUMER_GROUP_NAME: group,
      BATCH_SIZE: '16',
    });
    const warnings: string[] = [];

    const summary = await runTargets({ client, settings, logger: recordingLogger(warnings) });

    expect((summary.targets ?? []).map((t) => t.stream)).toEqual([...streams].sort());
    // Each stream's master is its own shard, so the three are worked at the same time (src/reclaim/fair-share.ts).
    expect(new Set(streams.map((stream) => shardOf(client)({ stream, group }))).size).toBe(3);
    expect(summary).toMatchObject({ processed: 40 + 50 + 60, complete: true, stopReason: 'covered' });
    for (const t of summary.targets as Summary[])
      expect(t).toMatchObject({ processed: seeded.get(t.stream)?.size, complete: true });
    // Same-slot keys per target: no at-least-once warning.
    expect(warnings).toEqual([]);
    for (const [stream, entries] of seeded) {
      const cfg = {
        ...settings,
        streamName: stream,
        groupName: group,
        deadLetterStream: `${stream}:dlq`,
        hashKeyPrefix: `${stream}:`,
      };
      expect((await checkInvariant(redis, cfg, { entries }, { final: true })).violations).toEqual([]);
    }
  });
});
