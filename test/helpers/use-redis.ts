/**
 * The one way a test file gets its Redis: `useRedis(options, started)` starts the server before
 * the file's tests, hands it to `started` (the file keeps its own variables, so test bodies read
 * `server` and `redis` as before), and after them closes the product connections opened through
 * the returned `Connections`, then stops the server by pid. Registered first, its afterAll runs
 * last (vitest runs after-hooks as a stack), so a file's own tear-down still sees the server.
 *
 * - `useRedis()` / `useRedis({ tcp, args, … })`: one redis-server (`REDIS_SERVER_BIN` picks the
 *   binary); files that need TLS, ACLs, a password or maxmemory pass `args`, or a function that
 *   prepares them first (certificates, a free TLS port) and returns them.
 * - `useRedis({ serverUnderTest: true })`: the server under test, a 3-master cluster when the suite
 *   runs with `TEST_SERVER=cluster`; only for files whose tests hold on a cluster.
 * - `useRedis({ cluster: {} })`: always a local cluster (`ClusterOptions`).
 * Several servers: call it once per server.
 */
import { afterAll, beforeAll } from 'vitest';
import { trackConnections, type Connections } from './connections';
import { startCluster, type ClusterOptions, type RedisCluster } from './redis-cluster';
import { startRedis, type RedisServer, type StartRedisOptions } from './redis-server';
import { startServerUnderTest, type ServerUnderTest } from './server-under-test';

export interface UsedRedis<S> extends Connections {
  /** The started server; throws when asked before the file's beforeAll hooks ran. */
  server(): S;
}

export function useRedis(
  options?: StartRedisOptions | (() => Promise<StartRedisOptions>),
  started?: (server: RedisServer) => void,
): UsedRedis<RedisServer>;
export function useRedis(
  options: { serverUnderTest: true },
  started?: (server: ServerUnderTest) => void,
): UsedRedis<ServerUnderTest>;
export function useRedis(
  options: { cluster: ClusterOptions },
  started?: (cluster: RedisCluster) => void,
): UsedRedis<RedisCluster>;
export function useRedis(
  options:
    | StartRedisOptions
    | (() => Promise<StartRedisOptions>)
    | { serverUnderTest: true }
    | { cluster: ClusterOptions } = {},
  started?: (server: never) => void,
): UsedRedis<RedisServer | ServerUnderTest | RedisCluster> {
  const start = async (): Promise<RedisServer | ServerUnderTest | RedisCluster> => {
    if (typeof options === 'function') return startRedis(await options());
    if ('serverUnderTest' in options) return startServerUnderTest();
    return 'cluster' in options ? startCluster(options.cluster) : startRedis(options);
  };
  let server: RedisServer | ServerUnderTest | RedisCluster | undefined;
  const connections = trackConnections();
  beforeAll(async () => {
    server = await start();
    (started as ((s: typeof server) => void) | undefined)?.(server);
  });
  afterAll(async () => {
    connections.closeAll();
    await server?.stop();
  });
  return {
    ...connections,
    server: () => {
      if (!server) throw new Error('useRedis: the server starts in beforeAll; ask for it in a hook or a test');
      return server;
    },
  };
}
