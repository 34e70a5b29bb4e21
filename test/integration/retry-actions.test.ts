/**
 * RECLAIM_ACTION on real servers, fast path and general path: `requeue` hands a copy back to the
 * live consumers (reclaim.origin, reclaim.deliveries) and acknowledges the original, a poison
 * entry is dead-lettered once after MAX_DELIVERIES in total whichever copy it is;
 * `dead-letter-only` changes nothing but dead letters and orphans. Idle times and delivery
 * counts are set exactly (XCLAIM … IDLE … RETRYCOUNT … FORCE JUSTID).
 */
import { describe, expect, it } from 'vitest';
import { ActionProcessorError } from '../../src/errors';
import { runReclaim } from '../../src/reclaim/run';
// Exclusive ranges are 6.2+: the ID after, for 6.0 too.
import { nextId } from '../../src/reclaim/scan';
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
import { snapshotKeys, type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

const pairs = (fields: readonly (string | Buffer)[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) out[String(fields[i])] ??= String(fields[i + 1]);
  return out;
};

/** Entries of the stream after `after` (exclusive): the copies a run appended. */
async function entriesAfter(stream: string, after: string): Promise<[string, string[]][]> {
  return redis.xrange(stream, nextId(after), '+');
}

describe.each([
  ['fast path', true],
  ['general path', false],
])('RECLAIM_ACTION=requeue on the %s', (_label, fastPath) => {
  it('appends a copy with reclaim.origin and reclaim.deliveries, acks the original, writes no hash; a copy of a copy keeps the origin and adds', async () => {
    const settings = testSettings(server, { RECLAIM_ACTION: 'requeue', MAX_DELIVERIES: '10' });
    const { streamName: stream, groupName: group } = settings;
    const ids = await addEntries(redis, stream, [tweet(0), ['reclaim.deliveries', 'abc', 'x', '1'], tweet(2)]);
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 3, { idleMs: 120_000, deliveries: 2 });
    const client = await connections.open(settings);

    const first = await runReclaim({ client, settings, fastPath });

    expect(first).toMatchObject({ scanned: 3, requeued: 3, processed: 0, deadLettered: 0, failed: 0, skipped: 0 });
    expect(await pendingOf(redis, stream, group)).toEqual([]);
    const copies = await entriesAfter(stream, ids[2] as string);
    // Both paths count alike: the general path's claim that hands the entry back is not counted.
    const own = 2;
    expect(copies.map(([, f]) => f)).toEqual([
      [...tweet(0), 'reclaim.origin', ids[0], 'reclaim.deliveries', String(own)],
      // A malformed reclaim.deliveries counts as 0 (hostile input, not a crash) and is replaced.
      ['x', '1', 'reclaim.origin', ids[1], 'reclaim.deliveries', String(own)],
      [...tweet(2), 'reclaim.origin', ids[2], 'reclaim.deliveries', String(own)],
    ]);
    for (const id of ids) expect(await redis.exists(`${settings.hashKeyPrefix}${id}`)).toBe(0);

    // A live consumer reads the copies with `>` and crashes; the next run copies the copies.
    const read = await readAsConsumer(redis, stream, group, 'live', 3, { idleMs: 120_000 });
    expect(read).toEqual(copies.map(([id]) => id));
    const second = await runReclaim({ client, settings, fastPath });
    expect(second).toMatchObject({ scanned: 3, requeued: 3 });
    const again = await entriesAfter(stream, read[2] as string);
    expect(again.map(([, f]) => pairs(f))).toEqual(
      ids.map((id, i) => ({
        ...pairs(copies[i]?.[1] ?? []),
        'reclaim.origin': id,
        'reclaim.deliveries': String(own + 1),
      })),
    );
  });

  it('dead-letters a poison entry once, after MAX_DELIVERIES in total over its copies, with the total and the origin in the record', async () => {
    const max = 5;
    const settings = testSettings(server, { RECLAIM_ACTION: 'requeue', MAX_DELIVERIES: String(max) });
    const { streamName: stream, groupName: group } = settings;
    const [origin] = await addEntries(redis, stream, [tweet(7)]);
    await createGroup(redis, stream, group);
    const client = await connections.open(settings);
    let deliveries = 0;
    for (let round = 0; round < 10; round++) {
      // A consumer takes whatever copy is new, and dies on it.
      const got = await readAsConsumer(redis, stream, group, `c${round}`, 10, { idleMs: 120_000 });
      if (got.length === 0) break;
      expect(got).toHaveLength(1);
      deliveries += 1;
      await runReclaim({ client, settings, fastPath });
    }
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record?.meta).toMatchObject({ 'dlq.reason': 'max-deliveries', 'dlq.deliveries': String(max) });
    expect(pairs(record?.original ?? [])).toMatchObject({ ...pairs(tweet(7)), 'reclaim.origin': origin });
    expect(await pendingOf(redis, stream, group)).toEqual([]);
    expect(deliveries).toBe(max);
  });

  it('leaves a copy not yet due under backoff untouched, counting the copy total', async () => {
    const settings = testSettings(server, {
      RECLAIM_ACTION: 'requeue',
      MAX_DELIVERIES: '10',
      RETRY_BACKOFF_MAX_SEC: '3600',
    });
    const { streamName: stream, groupName: group } = settings;
    // Own count 1, earlier copies 3: total 4, due after 60 s × 2^3 = 480 s.
    await addEntries(redis, stream, [
      ['a', '1', 'reclaim.origin', '1-1', 'reclaim.deliveries', '3'],
      ['a', '2', 'reclaim.origin', '1-2', 'reclaim.deliveries', '3'],
    ]);
    await createGroup(redis, stream, group);
    const [early, due] = await readAsConsumer(redis, stream, group, 'live', 2);
    await setPending(redis, stream, group, 'live', [early as string], 450_000, 1);
    await setPending(redis, stream, group, 'live', [due as string], 480_000, 1);
    const client = await connections.open(settings);
    expect(await runReclaim({ client, settings, fastPath })).toMatchObject({ scanned: 2, deferred: 1, requeued: 1 });
    expect((await pendingOf(redis, stream, group)).map(([id, owner, , d]) => [id, owner, d])).toEqual([
      [early, 'live', 1],
    ]);
    const [[, copy] = ['', []]] = await entriesAfter(stream, due as string);
    expect(copy).toEqual(['a', '2', 'reclaim.origin', '1-2', 'reclaim.deliveries', '4']);
  });
});

describe.each([
  ['fast path', true],
  ['general path', false],
])('RECLAIM_ACTION=dead-letter-only on the %s', (_label, fastPath) => {
  it('changes nothing but dead letters and orphans: workable entries stay pending exactly as they were', async () => {
    const settings = testSettings(server, {
      RECLAIM_ACTION: 'dead-letter-only',
      MAX_DELIVERIES: '3',
      RETRY_BACKOFF_MAX_SEC: '600',
    });
    const { streamName: stream, groupName: group } = settings;
    const ids = await addEntries(
      redis,
      stream,
      Array.from({ length: 6 }, (_, i) => tweet(i)),
    );
    await addEntries(redis, stream, [['x', '1', 'reclaim.deliveries', '2']]);
    await createGroup(redis, stream, group);
    const all = await readAsConsumer(redis, stream, group, 'crashed', 7, { idleMs: 120_000, deliveries: 1 });
    await setPending(redis, stream, group, 'crashed', [ids[0] as string], 120_000, 3); // over
    await redis.xdel(stream, ids[1] as string); // orphan
    const client = await connections.open(settings);
    const before = await pendingOf(redis, stream, group);

    const summary = await runReclaim({ client, settings, fastPath });

    // The last entry: own 1 + reclaim.deliveries 2 = 3, at the limit.
    expect(summary).toMatchObject({
      scanned: 7,
      claimed: 0,
      processed: 0,
      requeued: 0,
      deadLettered: 2,
      orphaned: 1,
      deferred: 0,
    });
    const after = await pendingOf(redis, stream, group);
    const kept = new Set([ids[0], ids[1], all[6]]);
    expect(after.map(([id, owner, , d]) => [id, owner, d])).toEqual(
      before.filter(([id]) => !kept.has(id)).map(([id, owner, , d]) => [id, owner, d]),
    );
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    expect(records.map((r) => [r.meta['dlq.id'], r.meta['dlq.deliveries']])).toEqual([
      [ids[0], '3'],
      [all[6], '3'],
    ]);
    for (const id of all) expect(await redis.exists(`${settings.hashKeyPrefix}${id}`)).toBe(0);
    expect((await redis.xrange(stream, '-', '+')).length).toBe(6);
  });
});

describe('a custom processor with an action that calls none', () => {
  it.each(['requeue', 'dead-letter-only'])(
    'is refused with RECLAIM_ACTION=%s before any command, naming the setting',
    async (action) => {
      const settings = testSettings(server, { RECLAIM_ACTION: action });
      const client = await connections.open(settings);
      const before = await snapshotKeys(redis);
      const run = runReclaim({ client, settings, processor: { process: async () => undefined } });
      await expect(run).rejects.toBeInstanceOf(ActionProcessorError);
      await expect(run).rejects.toThrow(`Expected no processor with \`RECLAIM_ACTION\` = \`${action}\``);
      expect(await snapshotKeys(redis)).toEqual(before);
    },
  );
});
