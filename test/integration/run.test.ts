import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { connect, type RedisClient } from '../../src/connection';
import { runReclaim } from '../../src/run';
import { addEntries, createGroup, pendingOf, readAsConsumer, testSettings, tweet } from '../helpers/backlog';
import { startRedis, type RedisServer } from '../helpers/redis-server';

let server: RedisServer;
let redis: Redis;
let client: RedisClient;

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
});
afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

describe('a crashed consumer backlog', () => {
  it('is fully reclaimed into hashes with exactly their fields, PEL empty, counts exact', async () => {
    const settings = testSettings(server, { BATCH_SIZE: '250' });
    client = await connect(settings);
    const n = 3_000;
    const ids = await addEntries(redis, settings.streamName, Array.from({ length: n }, (_, i) => tweet(i)));
    await createGroup(redis, settings.streamName, settings.groupName);
    await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', n, { idleMs: 600_000 });

    const summary = await runReclaim({ client, settings });

    expect(summary).toMatchObject({ scanned: n, claimed: n, processed: n, deadLettered: 0, orphaned: 0, failed: 0, skipped: 0, complete: true });
    expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
    for (const [i, id] of ids.entries()) {
      if (i % 7 !== 0 && i !== n - 1) continue;
      expect(await redis.hgetall(`${settings.streamName}:${id}`)).toEqual(Object.fromEntries(chunk(tweet(i))));
    }
    const hashes = await redis.keys(`${settings.streamName}:*`);
    expect(hashes.length).toBe(n);
  });
});

function chunk(fields: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < fields.length; i += 2) out.push([fields[i] as string, fields[i + 1] as string]);
  return out;
}
