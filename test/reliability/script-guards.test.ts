/**
 * Each script, called directly, against a state that would fail one of its writes after an
 * earlier one: it must fail before its first write (Redis unchanged, DUMP before = after), or
 * settle the failing entry alone. Also the MULTI path for records too long for one Lua call
 * (src/redis/wide.ts): its fence, its undo, and a failing XADD inside it. Real server or cluster.
 */
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import { replayRecords, selectRecords, type DeadLetterRecord } from '../../src/ops/dlq';
import { WrongTypeError } from '../../src/errors';
import { reclaimPage } from '../../src/redis/reclaim-page';
import { runReclaim } from '../../src/reclaim/run';
import { deadLetter, type DeadLetterRequest } from '../../src/redis/dead-letter';
import type { Settings } from '../../src/config/settings';
import { deadLetterWide } from '../../src/redis/wide';
import { addEntries, createGroup, pendingOf, readAsConsumer, setPending, testSettings } from '../helpers/backlog';
import { setMaxmemory, snapshotKeys, type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';
import { serverAtLeast } from '../helpers/server-version';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

const IDLE_MS = 600_000;
const wideFields = (): string[] => Array.from({ length: 5_000 }, (_, i) => [`f${i}`, `v${i}`]).flat();

/** Entries at MAX_DELIVERIES, idle, owned by `crashed`: each one a dead-letter candidate. */
async function overDelivered(fields: string[][]): Promise<{ settings: Settings; client: RedisClient; ids: string[] }> {
  const settings = testSettings(server);
  const client = await connections.open(settings);
  const ids = await addEntries(redis, settings.streamName, fields);
  await createGroup(redis, settings.streamName, settings.groupName);
  await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', ids.length, { idleMs: IDLE_MS });
  await setPending(redis, settings.streamName, settings.groupName, 'crashed', ids, IDLE_MS, settings.maxDeliveries);
  return { settings, client, ids };
}

const request = (settings: Settings, id: string, deliveries = settings.maxDeliveries): DeadLetterRequest => ({
  id,
  expectOwner: 'crashed',
  expectDeliveries: deliveries,
  minIdleMs: 0,
  consumer: 'crashed',
  deliveries,
  idleMs: IDLE_MS,
  reason: 'max-deliveries',
  error: '',
});

const keysOf = (s: Settings): { stream: string; deadLetter: string } => ({
  stream: s.streamName,
  deadLetter: s.deadLetterStream,
});

describe('a dead-letter key that turns into another type during a run', () => {
  it('reclaim-page and dead-letter refuse before their first write (DUMP before = after)', async () => {
    const { settings, client, ids } = await overDelivered([
      ['a', '1'],
      ['a', '2'],
    ]);
    await redis.set(settings.deadLetterStream, 'x');
    const before = await snapshotKeys(redis);
    const page = {
      group: settings.groupName,
      minIdleMs: 0,
      maxDeliveries: settings.maxDeliveries,
      hashPrefix: settings.hashKeyPrefix,
      keyField: '',
    };
    await expect(
      reclaimPage(client, keysOf(settings), {
        ...page,
        at: 1,
        checkSlot: server.cluster,
        start: '-',
        count: 10,
        serverIdleFilter: serverAtLeast(6, 2),
      }),
    ).rejects.toThrow(/WRONGTYPE dead-letter key/);
    await expect(
      deadLetter(client, keysOf(settings), {
        group: settings.groupName,
        at: 1,
        requests: ids.map((id) => request(settings, id)),
      }),
    ).rejects.toThrow(/WRONGTYPE dead-letter key/);
    expect(await snapshotKeys(redis)).toEqual(before);
  });

  it('the MULTI for a wide record: the XADD fails alone, nothing is acknowledged', async () => {
    const { settings, client, ids } = await overDelivered([wideFields()]);
    await redis.set(settings.deadLetterStream, 'x');
    const before = await snapshotKeys(redis);
    await expect(
      deadLetterWide(client, keysOf(settings), settings.groupName, request(settings, ids[0] as string), 1),
    ).rejects.toThrow(/WRONGTYPE/);
    expect(await snapshotKeys(redis)).toEqual(before);
  });
});

describe('the MULTI for a wide record (src/redis/wide.ts)', () => {
  it('writes the record and acks when the fence holds; once only, however often it is asked', async () => {
    const { settings, client, ids } = await overDelivered([wideFields()]);
    const id = ids[0] as string;
    const results = await Promise.all(
      [1, 2, 3].map(() => deadLetterWide(client, keysOf(settings), settings.groupName, request(settings, id), 7)),
    );
    expect(results.sort()).toEqual(['dead-lettered', 'skipped', 'skipped']);
    expect(await redis.xlen(settings.deadLetterStream)).toBe(1);
    expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
  });

  it('deletes its record again when the fence fails (taken over), leaving the entry pending', async () => {
    const { settings, client, ids } = await overDelivered([wideFields()]);
    const id = ids[0] as string;
    const status = await deadLetterWide(
      client,
      keysOf(settings),
      settings.groupName,
      request(settings, id, settings.maxDeliveries - 1),
      7,
    );
    expect(status).toBe('skipped');
    expect(await redis.xlen(settings.deadLetterStream)).toBe(0);
    expect((await pendingOf(redis, settings.streamName, settings.groupName)).map(([pid]) => pid)).toEqual([id]);
  });
});

describe('replay', () => {
  /** One dead-lettered record, read back for replay: within one Lua call, and past it. */
  const WIDTHS: [string, string[][]][] = [
    ['narrow', [['a', '1']]],
    ['wide', [wideFields()]],
  ];
  async function deadLettered(
    fields: string[][],
  ): Promise<{ settings: Settings; client: RedisClient; records: DeadLetterRecord[] }> {
    const { settings, client } = await overDelivered(fields);
    expect(await runReclaim({ client, settings })).toMatchObject({ deadLettered: fields.length });
    const { records } = await selectRecords(client, settings.deadLetterStream, {});
    return { settings, client, records };
  }

  it.each(WIDTHS)(
    'a source key of another type (%s record): WrongTypeError naming it, nothing replayed or deleted',
    async (_, fields) => {
      const { settings, client, records } = await deadLettered(fields);
      await redis.del(settings.streamName);
      await redis.set(settings.streamName, 'x');
      const before = await snapshotKeys(redis);
      const failure = await replayRecords(client, settings.deadLetterStream, records).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(WrongTypeError);
      expect(String(failure)).toContain(`\`${settings.streamName}\``);
      expect(await snapshotKeys(redis)).toEqual(before);
    },
  );

  it.each(WIDTHS)(
    'maxmemory (%s record): fails saying so, nothing replayed or deleted; replays once memory is back',
    async (_, fields) => {
      const { settings, client, records } = await deadLettered(fields);
      const before = await snapshotKeys(redis);
      await setMaxmemory(redis, 1);
      try {
        await expect(replayRecords(client, settings.deadLetterStream, records)).rejects.toThrow(/OOM/);
        expect(await snapshotKeys(redis)).toEqual(before);
      } finally {
        await setMaxmemory(redis, 0);
      }
      expect((await replayRecords(client, settings.deadLetterStream, records)).replayed).toHaveLength(1);
      expect(await redis.xlen(settings.deadLetterStream)).toBe(0);
    },
  );
});
