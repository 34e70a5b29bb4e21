/**
 * A throwaway 3-master Redis Cluster for the benchmark: three demo servers (src/local) with
 * `--cluster-enabled`, joined by `redis-cli --cluster create`, stopped by pid. Smaller than the
 * tests' helper (test/helpers/redis-cluster.ts): no replicas, no slot migration, no failover.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { freePort, startDemoRedis, type DemoRedis } from '../src/local/redis-server';

const run = promisify(execFile);

export interface BenchCluster {
  /** Seed node port (the first master), for REDIS_HOST. */
  readonly port: number;
  readonly nodes: readonly DemoRedis[];
  /** One plain client per master over its unix socket: CPU, DBSIZE, FLUSHALL. */
  readonly masters: readonly Redis[];
  /** The index in `masters` of the master serving `key` now. */
  masterOf(key: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startBenchCluster(binary: string): Promise<BenchCluster> {
  const nodes: DemoRedis[] = [];
  const masters: Redis[] = [];
  const stop = async (): Promise<void> => {
    for (const m of masters) m.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (const port of await busSafePorts(3)) {
      nodes.push(
        await startDemoRedis(binary, { port, args: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '5000'] }),
      );
    }
    for (const n of nodes) masters.push(new Redis({ path: n.socket }));
    const cli = existsSync(join(dirname(binary), 'redis-cli')) ? join(dirname(binary), 'redis-cli') : 'redis-cli';
    await run(cli, [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${String(n.port)}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitClusterOk(masters);
  } catch (error) {
    await stop();
    throw error;
  }
  const ports = nodes.map((n) => n.port);
  return {
    port: ports[0] as number,
    nodes,
    masters,
    async masterOf(key) {
      const first = masters[0] as Redis;
      const slot = (await first.call('CLUSTER', 'KEYSLOT', key)) as number;
      const ranges = (await first.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
      const range = ranges.find(([lo, hi]) => slot >= lo && slot <= hi);
      const index = range ? ports.indexOf(range[2][1]) : -1;
      if (index < 0) throw new Error(`no master of the bench cluster serves slot ${slot} (key ${key})`);
      return index;
    },
    stop,
  };
}

/**
 * Free client ports whose cluster bus port (port + 10000, the default on every server version)
 * is free too.
 */
async function busSafePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count; attempt++) {
    if (attempt > 500)
      throw new Error(`no ${count} free loopback ports with port + 10000 free as well (the cluster bus)`);
    const port = await freePort();
    if (port + 10000 <= 65535 && (await isFree(port + 10000))) ports.add(port);
  }
  return [...ports];
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function waitClusterOk(masters: readonly Redis[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(masters.map((m) => m.call('CLUSTER', 'INFO') as Promise<string>));
    if (states.every((s) => /cluster_state:ok/.test(s))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the bench cluster did not reach cluster_state:ok within 30 s');
}
