/**
 * renewLease on a real server (one server, or a 3-master cluster with TEST_SERVER=cluster): only
 * the consumer's own, still-existing pending entries are renewed, their delivery count kept;
 * everything else is left exactly as it was. Idle times are set with XCLAIM … IDLE, never slept.
 */
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { LeaseArgumentError, MissingGroupError, MissingStreamError, WrongTypeError } from '../../src/errors';
import { renewLease } from '../../src/redis/lease';
import { addEntries, createGroup, pendingOf, readAsConsumer, setPending, tweet, uniqueName } from '../helpers/backlog';
import { setMaxmemory, type TestClient } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let redis: TestClient;
useRedis({ serverUnderTest: true }, (started) => (redis = started.client()));

const LONG_IDLE = 600_000;
type Row = [string, string, number, number];

/** A stream and group with `n` entries read by `consumer`, idle LONG_IDLE, delivered `deliveries` times. */
async function seed(
  n: number,
  consumer = 'worker',
  deliveries = 3,
): Promise<{ stream: string; group: string; ids: string[] }> {
  const [stream, group] = [uniqueName('lease'), uniqueName('group')];
  const ids = await addEntries(
    redis,
    stream,
    Array.from({ length: n }, (_, i) => tweet(i)),
  );
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, consumer, n, { idleMs: LONG_IDLE, deliveries });
  return { stream, group, ids };
}

const byId = (rows: Row[]): Map<string, Row> => new Map(rows.map((r) => [r[0], r]));

/** A client that never connects: whatever throws first came from validation, before any command. */
function unconnected(): Redis {
  const client = new Redis({
    path: '/nonexistent/redis.sock',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined); // the one call that passes validation fails to connect, as expected
  return client;
}

describe('renewLease', () => {
  it('resets the idle time of the consumer’s entries, keeps their delivery count over many renewals, and returns them in order', async () => {
    const { stream, group, ids } = await seed(5);
    for (let round = 0; round < 20; round++) {
      expect(await renewLease(redis, { stream, group, consumer: 'worker', ids })).toEqual(ids);
      await setPending(redis, stream, group, 'worker', ids, LONG_IDLE);
    }
    expect(await renewLease(redis, { stream, group, consumer: 'worker', ids: [...ids].reverse() })).toEqual(
      [...ids].reverse(),
    );
    const rows = await pendingOf(redis, stream, group);
    expect(rows.map(([id, owner, , count]) => [id, owner, count])).toEqual(ids.map((id) => [id, 'worker', 3]));
    // Renewed means far below the threshold it had: margins of minutes, not a timing window.
    for (const [, , idle] of rows) expect(idle).toBeLessThan(LONG_IDLE / 2);
  });

  it('leaves alone IDs not pending, owned by another consumer, or whose entry was deleted, and returns none of them', async () => {
    const { stream, group, ids } = await seed(6);
    const [mine1, mine2, taken, acked, orphan, mine3] = ids as [string, string, string, string, string, string];
    await setPending(redis, stream, group, 'reclaimer', [taken], LONG_IDLE, 4);
    await redis.xack(stream, group, acked);
    await redis.xdel(stream, orphan);
    const [never] = await addEntries(redis, stream, [tweet(99)]); // in the stream, never delivered
    const before = byId(await pendingOf(redis, stream, group));

    const renewed = await renewLease(redis, {
      stream,
      group,
      consumer: 'worker',
      ids: [mine1, taken, acked, orphan, never as string, '1-1', mine2, mine3],
    });
    expect(renewed).toEqual([mine1, mine2, mine3]);

    const after = byId(await pendingOf(redis, stream, group));
    expect([...after.keys()]).toEqual([...before.keys()]);
    // The reclaimer's entry and the orphan: same owner, same count, still idle (not renewed).
    for (const id of [taken, orphan]) {
      const [, owner, idle, count] = after.get(id) as Row;
      expect([owner, count]).toEqual([before.get(id)?.[1], before.get(id)?.[3]]);
      expect(idle).toBeGreaterThanOrEqual(LONG_IDLE);
    }
    expect(after.get(orphan)?.[1]).toBe('worker');
    expect(await redis.xrange(stream, acked, acked)).toHaveLength(1);
  });

  it('renews a list far longer than one script call (10,000 IDs, duplicates once), only the consumer’s own', async () => {
    const { stream, group, ids } = await seed(10_000, 'worker', 1);
    const others = ids.filter((_, i) => i % 3 === 0);
    await setPending(redis, stream, group, 'other', others, LONG_IDLE, 2);
    const mine = ids.filter((_, i) => i % 3 !== 0);
    const renewed = await renewLease(redis, {
      stream,
      group,
      consumer: 'worker',
      ids: [...ids, ...mine.slice(0, 100)],
    });
    expect(renewed).toEqual(mine);
    const rows = byId(await pendingOf(redis, stream, group));
    expect(rows.size).toBe(10_000);
    for (const id of others) expect(rows.get(id)?.slice(1)).toEqual(['other', expect.any(Number), 2]);
    for (const id of others) expect(rows.get(id)?.[2]).toBeGreaterThanOrEqual(LONG_IDLE);
    for (const id of mine) expect([rows.get(id)?.[1], rows.get(id)?.[3]]).toEqual(['worker', 1]);
  });

  it('renews wide and binary entries like any other (the entry is only looked up, never copied or changed)', async () => {
    const [stream, group] = [uniqueName('lease'), uniqueName('group')];
    const wide = Array.from({ length: 10_000 }, (_, i) => [
      Buffer.from(`f${i}`),
      Buffer.from([0, 255, i % 256]),
    ]).flat();
    const ids = await addEntries(redis, stream, [wide, [Buffer.from([0xff, 0x00]), Buffer.alloc(1_000_000, 7)]]);
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'worker', 2, { idleMs: LONG_IDLE, deliveries: 2 });
    // A digest of the stream's bytes: a deep equal over a megabyte of Buffer is slow.
    const digest = async (): Promise<string> => {
      const hash = createHash('sha256');
      for (const [id, fields] of await redis.xrangeBuffer(stream, '-', '+'))
        for (const part of [id, ...fields]) hash.update(part).update('|');
      return hash.digest('hex');
    };
    const before = await digest();
    expect(await renewLease(redis, { stream, group, consumer: 'worker', ids })).toEqual(ids);
    expect(await digest()).toBe(before);
    for (const [, owner, idle, count] of await pendingOf(redis, stream, group))
      expect([owner, idle < LONG_IDLE / 2, count]).toEqual(['worker', true, 2]);
  });

  it.skipIf(process.env.TEST_SERVER === 'cluster')(
    'runs as a consumer user with only the rights docs/operations.md lists, nothing else denied',
    async () => {
      const { stream, group, ids } = await seed(3);
      const [user, password] = [uniqueName('consumer'), uniqueName('pw')];
      const admin = redis as Redis;
      await admin.call(
        'ACL',
        'SETUSER',
        user,
        'on',
        `>${password}`,
        `~${stream}`,
        '+evalsha',
        '+eval',
        '+type',
        '+xpending',
        '+xrange',
        '+xclaim',
        '+xreadgroup',
        '+xack',
      );
      await admin.call('ACL', 'LOG', 'RESET');
      const options = admin.options;
      const consumer = new Redis({
        ...(options.path ? { path: options.path } : { host: options.host, port: options.port }),
        username: user,
        password,
        enableReadyCheck: false,
      });
      consumer.on('error', () => undefined);
      try {
        expect(await renewLease(consumer, { stream, group, consumer: 'worker', ids })).toEqual(ids);
        await expect(consumer.call('XGROUP', 'DESTROY', stream, group)).rejects.toThrow(/NOPERM/);
      } finally {
        consumer.disconnect();
      }
      const denied = ((await admin.call('ACL', 'LOG')) as unknown[][]).map((entry) =>
        String(entry[entry.indexOf('object') + 1]),
      );
      // Only the XGROUP probe above was denied (and, on 6.0 and 7.2+, the CLIENT SETINFO ioredis sends on connect, which it ignores).
      expect(denied.filter((object) => !/^client/i.test(object))).toEqual([expect.stringMatching(/xgroup/i)]);
    },
  );

  it('sends nothing for an empty list', async () => {
    const client = unconnected();
    expect(await renewLease(client, { stream: 's', group: 'g', consumer: 'c', ids: [] })).toEqual([]);
    expect(client.status).toBe('wait');
  });

  it('refuses bad arguments before any command, naming every problem', async () => {
    const client = unconnected();
    const bad = ['abc', '1', '1-2-3', '-1-0', '18446744073709551616-0', ' 1-0', '1-0\n', 'x-1'];
    const error = await renewLease(client, { stream: '', group: 'g', consumer: '', ids: ['1-0', ...bad] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LeaseArgumentError);
    const message = (error as Error).message;
    expect(message).toContain('Expected `stream` to be a non-empty string, got ``');
    expect(message).toContain('Expected `consumer` to be a non-empty string, got ``');
    expect(message).toContain('`abc`, `1`, `1-2-3`, `-1-0`, `18446744073709551616-0` and 3 more');
    expect((error as LeaseArgumentError).problems).toHaveLength(3);
    const notArray = await renewLease(client, {
      stream: 's',
      group: 'g',
      consumer: 'c',
      ids: '1-0' as unknown as string[],
    }).catch((e: unknown) => e);
    expect((notArray as Error).message).toContain('Expected `ids` to be an array of stream IDs, got `1-0`');
    // The largest ID Redis accepts is valid (and only fails later, on the connection).
    const largest = await renewLease(client, {
      stream: 's',
      group: 'g',
      consumer: 'c',
      ids: ['18446744073709551615-18446744073709551615'],
    }).catch((e: unknown) => e);
    expect(largest).not.toBeInstanceOf(LeaseArgumentError);
    expect(client.status).not.toBe('ready');
  });

  it('names a missing stream, a missing group and a key of another type, changing nothing', async () => {
    const { stream, group, ids } = await seed(2);
    const before = await pendingOf(redis, stream, group);
    const missing = uniqueName('nostream');
    await expect(renewLease(redis, { stream: missing, group, consumer: 'worker', ids })).rejects.toThrow(
      MissingStreamError,
    );
    await expect(renewLease(redis, { stream: missing, group, consumer: 'worker', ids })).rejects.toThrow(
      `stream \`${missing}\` does not exist`,
    );
    const groupError = await renewLease(redis, { stream, group: 'nope', consumer: 'worker', ids }).catch(
      (e: unknown) => e,
    );
    expect(groupError).toBeInstanceOf(MissingGroupError);
    expect(groupError).not.toBeInstanceOf(MissingStreamError);
    expect((groupError as Error).message).toContain(`has no consumer group \`nope\` (its groups: ${group})`);
    const hash = uniqueName('hash');
    await redis.hset(hash, 'a', '1');
    const typeError = await renewLease(redis, { stream: hash, group, consumer: 'worker', ids }).catch(
      (e: unknown) => e,
    );
    expect(typeError).toBeInstanceOf(WrongTypeError);
    expect((typeError as Error).message).toContain(`key \`${hash}\``);
    expect((typeError as Error).message).toContain('it holds a hash, not a stream');
    expect(await redis.hgetall(hash)).toEqual({ a: '1' });
    const after = await pendingOf(redis, stream, group);
    expect(after.map(([id, owner, , count]) => [id, owner, count])).toEqual(
      before.map(([id, owner, , count]) => [id, owner, count]),
    );
    for (const [, , idle] of after) expect(idle).toBeGreaterThanOrEqual(LONG_IDLE);
  });

  it('renews under maxmemory: XCLAIM is never refused for memory', async () => {
    const { stream, group, ids } = await seed(3);
    await setMaxmemory(redis, 1);
    try {
      await expect(redis.set(uniqueName('probe'), 'x')).rejects.toThrow(/OOM/);
      expect(await renewLease(redis, { stream, group, consumer: 'worker', ids })).toEqual(ids);
    } finally {
      await setMaxmemory(redis, 0);
    }
    for (const [, , idle, count] of await pendingOf(redis, stream, group))
      expect([idle < LONG_IDLE / 2, count]).toEqual([true, 3]);
  });
});
