/**
 * Delivery counts are 64-bit: a count of 2^53 - 1, 2^53 + 1 or 2^63 - 1 (what Redis 8.8's
 * `XNACK … FATAL` sets) is recorded in `dlq.deliveries` digit for digit, compared with
 * `MAX_DELIVERIES` exactly, and the entry dead-lettered once, on the fast path, the general path
 * and the 6.0 scan. Counts are set exactly with `XCLAIM … RETRYCOUNT` sent as text (a JavaScript
 * number would round them before Redis sees them).
 */
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { runReclaim } from '../../src/reclaim/run';
import { compareIds } from '../../src/reclaim/scan';
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
import { clusterUnderTest, type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

const BIG = ['9007199254740991', '9007199254740993', '9223372036854775807'];

/** Sets an entry's count exactly (text RETRYCOUNT) and backdates it, keeping its owner. */
async function setCount(
  stream: string,
  group: string,
  consumer: string,
  id: string,
  count: string,
  idleMs = 120_000,
): Promise<void> {
  await redis.call(
    'XCLAIM',
    stream,
    group,
    consumer,
    '0',
    id,
    'IDLE',
    String(idleMs),
    'RETRYCOUNT',
    count,
    'JUSTID',
    'FORCE',
  );
}

/** The counts Redis holds, as text (a second connection that keeps integer replies as strings). */
async function exactPending(settings: { streamName: string; groupName: string }): Promise<[string, string][]> {
  const twin =
    redis instanceof Cluster
      ? redis.duplicate(undefined, { redisOptions: { ...redis.options.redisOptions, stringNumbers: true } })
      : redis.duplicate({ stringNumbers: true });
  try {
    const rows = (await twin.call('XPENDING', settings.streamName, settings.groupName, '-', '+', 100)) as [
      string,
      string,
      string,
      string,
    ][];
    return rows.map(([id, , , count]) => [id, count]);
  } finally {
    twin.disconnect();
  }
}

describe.each([
  ['fast path', true, 'auto'],
  ['general path', false, 'auto'],
  ['fast path, 6.0 scan', true, 'redis6.0'],
  ['general path, 6.0 scan', false, 'redis6.0'],
])('%s', (_label, fastPath, strategy) => {
  it('records 2^53 - 1, 2^53 + 1 and 2^63 - 1 exactly, each once; the entry under the limit is processed', async () => {
    const settings = testSettings(server, { MAX_DELIVERIES: '5', RECLAIM_STRATEGY: strategy });
    const { streamName: stream, groupName: group } = settings;
    const ids = await addEntries(
      redis,
      stream,
      Array.from({ length: 4 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 4, { idleMs: 120_000 });
    for (const [i, count] of BIG.entries()) await setCount(stream, group, 'crashed', ids[i] as string, count);
    expect((await exactPending(settings)).slice(0, 3)).toEqual(BIG.map((c, i) => [ids[i], c]));

    const client = await connections.open(settings);
    const summary = await runReclaim({ client, settings, fastPath });

    expect(summary).toMatchObject({ scanned: 4, processed: 1, deadLettered: 3, failed: 0, skipped: 0, complete: true });
    expect(await pendingOf(redis, stream, group)).toEqual([]);
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    // In any order: fast-path scripts in flight hand deferred entries to the client concurrently.
    const byId = records.sort((a, b) => compareIds(a.meta['dlq.id'] as string, b.meta['dlq.id'] as string));
    expect(
      byId.map((r) => [r.meta['dlq.id'], r.meta['dlq.deliveries'], r.meta['dlq.reason'], r.meta['dlq.consumer']]),
    ).toEqual(BIG.map((count, i) => [ids[i], count, 'max-deliveries', 'crashed']));
    expect(byId.map((r) => r.original.map(String))).toEqual(BIG.map((_, i) => tweet(i)));
    expect(await redis.exists(`${stream}:${ids[3]}`)).toBe(1);

    // A second run finds nothing left: each was dead-lettered once.
    expect(await runReclaim({ client, settings, fastPath })).toMatchObject({ scanned: 0, deadLettered: 0 });
    expect(await readDeadLetters(redis, settings.deadLetterStream)).toHaveLength(3);
  });

  it('compares with MAX_DELIVERIES = 2^53 - 1 exactly: 2^53 - 2 is claimed, 2^53 - 1 and more are dead-lettered', async () => {
    const settings = testSettings(server, { MAX_DELIVERIES: '9007199254740991', RECLAIM_STRATEGY: strategy });
    const { streamName: stream, groupName: group } = settings;
    const ids = await addEntries(
      redis,
      stream,
      Array.from({ length: 3 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 3, { idleMs: 120_000 });
    const counts = ['9007199254740990', '9007199254740991', '9007199254740993'];
    for (const [i, count] of counts.entries()) await setCount(stream, group, 'crashed', ids[i] as string, count);

    const client = await connections.open(settings);
    const summary = await runReclaim({ client, settings, fastPath });

    expect(summary).toMatchObject({ scanned: 3, processed: 1, deadLettered: 2, failed: 0, skipped: 0 });
    expect(await pendingOf(redis, stream, group)).toEqual([]);
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    records.sort((a, b) => compareIds(a.meta['dlq.id'] as string, b.meta['dlq.id'] as string));
    expect(records.map((r) => [r.meta['dlq.id'], r.meta['dlq.deliveries']])).toEqual([
      [ids[1], '9007199254740991'],
      [ids[2], '9007199254740993'],
    ]);
    expect(await redis.exists(`${stream}:${ids[0]}`)).toBe(1);
  });

  it('a huge count re-claimed by its consumer after the scan is skipped, then dead-lettered by the next run with its new count', async () => {
    const settings = testSettings(server, { MAX_DELIVERIES: '5', RECLAIM_STRATEGY: strategy });
    const { streamName: stream, groupName: group } = settings;
    const [id] = await addEntries(redis, stream, [tweet(0)]);
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 1, { idleMs: 120_000 });
    await setCount(stream, group, 'crashed', id as string, '9223372036854775806');

    const client = await connections.open(settings);
    // Between the scan and the exact read, its consumer takes the entry again (idle 0, one more
    // delivery): the exact read's first command waits for that re-claim, so the order is fixed.
    let raced = false;
    const duplicate = client.duplicate.bind(client) as (...args: unknown[]) => TestClient;
    (client as unknown as { duplicate: unknown }).duplicate = (...args: unknown[]): TestClient => {
      const twin = duplicate(...args);
      const call = twin.call.bind(twin) as (...a: unknown[]) => Promise<unknown>;
      (twin as unknown as { call: unknown }).call = async (...a: unknown[]): Promise<unknown> => {
        if (!raced) {
          raced = true;
          await redis.call(
            'XCLAIM',
            stream,
            group,
            'crashed',
            '0',
            id as string,
            'RETRYCOUNT',
            '9223372036854775807',
            'JUSTID',
          );
        }
        return call(...a);
      };
      return twin;
    };
    const summary = await runReclaim({ client, settings, fastPath });

    expect(raced).toBe(true);
    expect(summary).toMatchObject({ deadLettered: 0, skipped: 1 });
    expect(await readDeadLetters(redis, settings.deadLetterStream)).toEqual([]);
    expect(await exactPending(settings)).toEqual([[id, '9223372036854775807']]);

    // Re-claimed by its consumer, over the limit and not idle: the next run dead-letters it
    // without waiting (src/reclaim/over-delivered.ts), with the count it has now.
    expect(await runReclaim({ client, settings, fastPath })).toMatchObject({ deadLettered: 1, skipped: 0 });
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    expect(records.map((r) => [r.meta['dlq.id'], r.meta['dlq.deliveries']])).toEqual([[id, '9223372036854775807']]);
    expect(await pendingOf(redis, stream, group)).toEqual([]);
  });
});

// The split path exists only on a cluster (TEST_SERVER=cluster, as .ci/run runs this file):
// skipped on a single server, where every key is in one place.
describe.skipIf(!clusterUnderTest())('split path (a cluster, keys without one hash tag)', () => {
  it('records 2^53 - 1, 2^53 + 1 and 2^63 - 1 exactly, each once', async () => {
    const settings = testSettings(server, { STREAM_NAME: uniqueName('plain'), MAX_DELIVERIES: '5' });
    const { streamName: stream, groupName: group } = settings;
    const ids = await addEntries(
      redis,
      stream,
      Array.from({ length: 4 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 4, { idleMs: 120_000 });
    for (const [i, count] of BIG.entries()) await setCount(stream, group, 'crashed', ids[i] as string, count);

    const client = await connections.open(settings);
    const summary = await runReclaim({ client, settings });

    expect(summary).toMatchObject({ scanned: 4, processed: 1, deadLettered: 3, failed: 0, skipped: 0 });
    expect(await pendingOf(redis, stream, group)).toEqual([]);
    const records = (await readDeadLetters(redis, settings.deadLetterStream)).sort((a, b) =>
      compareIds(a.meta['dlq.id'] as string, b.meta['dlq.id'] as string),
    );
    expect(records.map((r) => [r.meta['dlq.id'], r.meta['dlq.deliveries']])).toEqual(
      BIG.map((count, i) => [ids[i], count]),
    );
    expect(await runReclaim({ client, settings })).toMatchObject({ scanned: 0, deadLettered: 0 });
  });
});
