/**
 * The server under test: what the core integration suite runs against, chosen by the
 * environment so CI can run one suite per kind of server (see .ci/run). ("Target" is the
 * product's word for a stream × group, so tests don't use it for the server.)
 * - `TEST_SERVER=cluster`: a local 3-master Redis Cluster; settings get `REDIS_CLUSTER=true`
 *   and hash-tagged names (testSettings), so the atomic path is used.
 * - otherwise one server (`REDIS_SERVER_BIN` picks redis-server or valkey-server).
 * `RECLAIM_STRATEGY` forces a scan strategy in testSettings. Only test code reads these.
 * A test file gets it with `useRedis({ serverUnderTest: true })` (use-redis.ts).
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from '../../src/redis/connection';
import { startCluster } from './redis-cluster';
import { startRedis } from './redis-server';

export type TestClient = RedisClient;

export interface ServerUnderTest {
  readonly host: string;
  readonly port: number | undefined;
  readonly cluster: boolean;
  /** A plain client (a Cluster client on a cluster) for setting up and checking state. */
  client(): TestClient;
  stop(): Promise<void>;
}

export const clusterUnderTest = (): boolean => process.env.TEST_SERVER === 'cluster';

export async function startServerUnderTest(): Promise<ServerUnderTest> {
  if (clusterUnderTest()) {
    const c = await startCluster();
    return { host: c.host, port: c.port, cluster: true, client: () => c.client(), stop: () => c.stop() };
  }
  const s = await startRedis();
  return { host: s.host, port: s.port, cluster: false, client: () => s.client(), stop: () => s.stop() };
}

/** Every key in the database (every master's, on a cluster). */
export async function allKeys(redis: TestClient): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  return (await Promise.all(nodes.map((n) => n.keys('*')))).flat();
}

/** Every key with its DUMP, as hex (a stream's DUMP includes its groups and their PELs). */
export async function snapshotKeys(redis: TestClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of (await allKeys(redis)).sort()) out.set(key, (await redis.dumpBuffer(key)).toString('hex'));
  return out;
}

/** Sets maxmemory on every master (0 lifts it); noeviction, so writes are refused, not evicted. */
export async function setMaxmemory(redis: TestClient, bytes: number): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  // One parameter per CONFIG SET: several in one call need 7.0.
  await Promise.all(
    nodes.map(async (n) => {
      await n.config('SET', 'maxmemory-policy', 'noeviction');
      await n.config('SET', 'maxmemory', String(bytes));
    }),
  );
}
