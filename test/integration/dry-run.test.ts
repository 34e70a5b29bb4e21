import { afterAll, describe, expect, it } from 'vitest';
import { connect, type RedisClient } from '../../src/redis/connection';
import { runReclaim } from '../../src/reclaim/run';
import { testSettings } from '../helpers/backlog';
import { snapshotKeys, type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { expectedCounts, seedMixed } from '../helpers/scenario';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
let client: RedisClient | undefined;

useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));
afterAll(async () => {
  client?.disconnect();
});

const snapshot = (): Promise<Map<string, string>> => snapshotKeys(redis);

describe('--dry-run', () => {
  it('leaves Redis byte-for-byte unchanged and reports the counts a real run then produces', async () => {
    const settings = testSettings(server, { HASH_KEY_FIELD: 'user', BATCH_SIZE: '16' });
    client = await connect(settings);
    const seeded = await seedMixed(redis, settings);
    const before = await snapshot();

    const dry = await runReclaim({ client, settings: { ...settings, dryRun: true } });

    expect(await snapshot()).toEqual(before);
    const real = await runReclaim({ client, settings });
    const { durationMs: _a, dryRun: dryFlag, ...dryCounts } = dry;
    const { durationMs: _b, dryRun: realFlag, ...realCounts } = real;
    expect([dryFlag, realFlag]).toEqual([true, false]);
    expect(dryCounts).toEqual(realCounts);
    expect(real).toMatchObject({
      ...expectedCounts(seeded),
      skipped: 0,
      failed: 0,
    });
  });
});
