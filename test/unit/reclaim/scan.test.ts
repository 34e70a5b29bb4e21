/**
 * The PEL scan (src/reclaim/scan.ts): the strategy chosen from the server version, stream-ID
 * arithmetic, and the 6.0 scan (no XPENDING IDLE, no exclusive ranges) forced on a real server
 * (useRedis): pages start at the ID after the last one seen, idle is filtered here, and the PEL
 * is covered exactly once.
 */
import { describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import {
  chooseStrategy,
  compareIds,
  nextId,
  scanPage,
  type PendingEntry,
  type ScanStrategy,
} from '../../../src/reclaim/scan';
import { addEntries, createGroup, readAsConsumer, testSettings, tweet } from '../../helpers/backlog';
import type { RedisServer } from '../../helpers/redis-server';
import { serverAtLeast } from '../../helpers/server-version';
import { useRedis } from '../../helpers/use-redis';

let server: RedisServer;
let redis: Redis;

useRedis({}, (started) => ([server, redis] = [started, started.client()]));

async function scanAll(
  stream: string,
  group: string,
  strategy: ScanStrategy,
  count: number,
): Promise<{ pages: PendingEntry[][]; cursors: (string | undefined)[] }> {
  const pages: PendingEntry[][] = [];
  const cursors: (string | undefined)[] = [];
  let cursor: string | undefined;
  do {
    const page = await scanPage(redis, strategy, { stream, group, minIdleMs: 60_000, count, cursor });
    pages.push(page.entries);
    cursors.push(page.cursor);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { pages, cursors };
}

describe('nextId', () => {
  it('is the smallest stream ID after the given one, carrying into the ms part', () => {
    expect(nextId('1700000000000-0')).toBe('1700000000000-1');
    expect(nextId('5-41')).toBe('5-42');
    expect(nextId('5-18446744073709551615')).toBe('6-0');
    expect(nextId('0-0')).toBe('0-1');
  });
});

describe('scanPage with the redis6.0 strategy', () => {
  it('pages by next ID, filters idle here, and returns exactly what the 6.2+ scan returns', async () => {
    const { streamName: stream, groupName: group } = testSettings(server, { RECLAIM_STRATEGY: 'redis6.0' });
    await addEntries(
      redis,
      stream,
      Array.from({ length: 47 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    // Interleaved owners: idle runs of a crashed consumer between fresh entries of a live one.
    const idle: string[] = [];
    for (let i = 0; i < 47; i += 8) {
      idle.push(...(await readAsConsumer(redis, stream, group, 'crashed', 5, { idleMs: 120_000 })));
      await readAsConsumer(redis, stream, group, 'live', 3);
    }

    const old = await scanAll(stream, group, 'redis6.0', 10);

    const seen = old.pages.flat().map((e) => e.id);
    expect(seen).toEqual(idle);
    expect(old.pages.flat()).toEqual(
      idle.map((id) => expect.objectContaining({ id, consumer: 'crashed', deliveries: 1 })),
    );
    if (serverAtLeast(6, 2)) {
      // XPENDING … IDLE exists from 6.2: both scans agree where both can run.
      const modern = await scanAll(stream, group, 'redis6.2', 10);
      expect(modern.pages.flat()).toEqual(
        old.pages.flat().map((e) => expect.objectContaining({ id: e.id, consumer: 'crashed', deliveries: 1 })),
      );
    }
    // 47 pending in pages of 10: five XPENDING pages, each page's cursor the ID after its last row.
    expect(old.pages).toHaveLength(5);
    expect(old.pages.every((p) => p.length <= 10 && p.every((e) => e.idleMs >= 60_000))).toBe(true);
    const all = ((await redis.call('XPENDING', stream, group, '-', '+', 100)) as [string][]).map(([id]) => id);
    expect(old.cursors).toEqual([
      nextId(all[9] as string),
      nextId(all[19] as string),
      nextId(all[29] as string),
      nextId(all[39] as string),
      undefined,
    ]);
  });

  it('ends cleanly when the PEL is an exact multiple of the page size, and on an empty PEL', async () => {
    const { streamName: stream, groupName: group } = testSettings(server);
    await addEntries(
      redis,
      stream,
      Array.from({ length: 20 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    const ids = await readAsConsumer(redis, stream, group, 'crashed', 20, { idleMs: 120_000 });

    const full = await scanAll(stream, group, 'redis6.0', 10);
    expect(full.pages.map((p) => p.length)).toEqual([10, 10, 0]);
    expect(full.pages.flat().map((e) => e.id)).toEqual(ids);

    await redis.xack(stream, group, ...ids);
    expect(await scanAll(stream, group, 'redis6.0', 10)).toEqual({ pages: [[]], cursors: [undefined] });
  });
});

describe('chooseStrategy', () => {
  it('takes a requested strategy as is', () => {
    expect(chooseStrategy('redis6.0', { name: 'redis', version: [8, 0, 0] })).toBe('redis6.0');
  });

  it('auto: from the server version; every Valkey is 7-class', () => {
    expect(chooseStrategy('auto', { name: 'redis', version: [7, 0, 0] })).toBe('redis7');
    expect(chooseStrategy('auto', { name: 'redis', version: [8, 2, 1] })).toBe('redis7');
    expect(chooseStrategy('auto', { name: 'redis', version: [6, 2, 14] })).toBe('redis6.2');
    expect(chooseStrategy('auto', { name: 'redis', version: [6, 0, 16] })).toBe('redis6.0');
    expect(chooseStrategy('auto', { name: 'redis', version: [5, 0, 0] })).toBe('redis6.0');
    expect(chooseStrategy('auto', { name: 'valkey', version: [6, 0, 0] })).toBe('redis7');
  });
});

describe('nextId', () => {
  it('is the smallest ID after the given one', () => {
    expect(nextId('1-0')).toBe('1-1');
    expect(nextId('1700000000000-41')).toBe('1700000000000-42');
    expect(nextId('5-18446744073709551615')).toBe('6-0');
  });
});

describe('compareIds', () => {
  it('orders stream IDs numerically, not as text', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareIds('10-10', '10-10')).toBe(0);
    expect(compareIds('1700000000001-0', '1700000000000-99')).toBeGreaterThan(0);
  });
});
