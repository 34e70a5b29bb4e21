/**
 * The sharded-endpoint fixture (test/helpers/redis-proxy-fixture.ts) behaves as the Enterprise
 * policy's proxy does, on every server binary CI runs: cross-slot scripts and MULTI are refused
 * with CROSSSLOT before anything runs, single-slot ones are served, CLUSTER is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { startShardedEndpoint, type ShardedEndpoint } from '../helpers/redis-proxy-fixture';
import { uniqueName } from '../helpers/backlog';

let endpoint: ShardedEndpoint;
let redis: Redis;

beforeAll(async () => {
  endpoint = await startShardedEndpoint();
  redis = endpoint.client();
});
afterAll(async () => {
  await endpoint?.stop();
});

describe('the sharded-endpoint fixture', () => {
  it('refuses a cross-slot script with CROSSSLOT before the script runs', async () => {
    const [a, b] = [uniqueName('a'), uniqueName('b')];
    const write = "redis.call('SET', KEYS[1], 'x'); redis.call('SET', KEYS[2], 'y'); return 1";
    await expect(redis.eval(write, 2, a, b)).rejects.toThrow(/^CROSSSLOT/);
    expect([await redis.exists(a), await redis.exists(b)]).toEqual([0, 0]);
    expect(await redis.eval(write, 2, `{${a}}:1`, `{${a}}:2`)).toBe(1);
  });

  it('refuses a cross-slot MULTI with CROSSSLOT and runs none of it', async () => {
    const [a, b] = [uniqueName('a'), uniqueName('b')];
    await expect(redis.multi().set(a, 'x').set(b, 'y').exec()).rejects.toThrow(/CROSSSLOT/);
    expect([await redis.exists(a), await redis.exists(b)]).toEqual([0, 0]);
    expect(await redis.multi().set(`{${a}}:1`, 'x').set(`{${a}}:2`, 'y').exec()).toEqual([
      [null, 'OK'],
      [null, 'OK'],
    ]);
  });

  it('serves single-key commands in every slot and refuses CLUSTER', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => uniqueName(`k${i}`));
    for (const k of keys) await redis.set(k, '1');
    for (const k of keys) expect(await redis.get(k)).toBe('1');
    await expect(redis.call('CLUSTER', 'KEYSLOT', 'x')).rejects.toThrow(/unknown command/i);
    await expect(redis.call('CLUSTER', 'NODES')).rejects.toThrow(/unknown command/i);
  });
});
