/**
 * Throwaway 3-master Redis Cluster for tests: three `redis-server --cluster-enabled yes` on
 * random loopback ports, joined with `redis-cli --cluster create`, stopped by pid.
 * `REDIS_SERVER_BIN` picks another server binary, as for single servers.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, type Redis } from 'ioredis';
import { freePort, startRedis, type RedisServer } from './redis-server';

const run = promisify(execFile);

export interface RedisCluster {
  /** Seed node address: host and port of the first master. */
  readonly host: string;
  readonly port: number;
  readonly nodes: readonly RedisServer[];
  /** A cluster client for setting up and checking state. */
  client(): Cluster;
  /**
   * Moves `slot` to another master step by step, keys included, as `redis-cli --cluster reshard`
   * does (which cannot pick the slot) (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE in batches, SETSLOT
   * NODE), waiting `holdMs` with the slot half-open before moving keys, so a concurrent run is
   * certain to meet ASK and TRYAGAIN replies, then MOVED.
   */
  migrateSlot(slot: number, holdMs: number): Promise<{ from: number; to: number }>;
  /** The port of the master serving `slot` now. */
  ownerOf(slot: number): Promise<number>;
  stop(): Promise<void>;
}

const cli = (...args: string[]): Promise<{ stdout: string }> => run('redis-cli', args, { maxBuffer: 16 * 1024 * 1024 });

export async function startCluster(): Promise<RedisCluster> {
  // Six distinct free ports: three clients' and three cluster-bus ports. The bus port is set
  // explicitly: the default (port + 10000) is out of range for ports above 55535.
  const free = new Set<number>();
  while (free.size < 6) free.add(await freePort());
  const [ports, busPorts] = [[...free].slice(0, 3), [...free].slice(3)];
  const nodes: RedisServer[] = [];
  try {
    for (const [i, port] of ports.entries()) {
      // Each node keeps its cluster config in its own temp dir (startRedis's --dir).
      const args = ['--cluster-enabled', 'yes', '--cluster-port', String(busPorts[i]), '--cluster-node-timeout', '5000'];
      nodes.push(await startRedis({ tcp: true, port, args }));
    }
    await cli('--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes');
    await waitClusterOk(ports);
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  const clients: Cluster[] = [];
  return {
    host: '127.0.0.1',
    port: ports[0] as number,
    nodes,
    client() {
      const c = new Cluster([{ host: '127.0.0.1', port: ports[0] as number }], { redisOptions: { maxRetriesPerRequest: 1 }, maxRedirections: 64 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async migrateSlot(slot, holdMs) {
      const from = await ownerOf(ports, slot);
      const to = ports.find((p) => p !== from) as number;
      const node = (port: number): Redis => (nodes[ports.indexOf(port)] as RedisServer).client();
      const [src, dst] = [node(from), node(to)];
      const [srcId, dstId] = await Promise.all([src.cluster('MYID'), dst.cluster('MYID')]);
      await dst.cluster('SETSLOT', slot, 'IMPORTING', srcId);
      await src.cluster('SETSLOT', slot, 'MIGRATING', dstId);
      await new Promise((r) => setTimeout(r, holdMs));
      for (;;) {
        const keys = (await src.cluster('GETKEYSINSLOT', slot, 100)) as string[];
        if (keys.length === 0) break;
        await src.migrate('127.0.0.1', to, '', 0, 5_000, 'KEYS', ...keys);
      }
      // Target first, as redis-cli does, then the source and the third master.
      for (const port of [to, from, ...ports.filter((p) => p !== from && p !== to)]) await node(port).cluster('SETSLOT', slot, 'NODE', dstId);
      return { from, to };
    },
    ownerOf: (slot) => ownerOf(ports, slot),
    async stop() {
      for (const c of clients) c.disconnect();
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** The port of the master serving `slot`, from CLUSTER NODES (`ip:port@bus … lo-hi …`). */
async function ownerOf(ports: readonly number[], slot: number): Promise<number> {
  const { stdout } = await cli('-p', String(ports[0]), 'CLUSTER', 'NODES');
  for (const line of stdout.split('\n')) {
    const fields = line.split(' ');
    const port = Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]);
    for (const range of fields.slice(8)) {
      const [lo, hi = lo] = range.split('-').map(Number);
      if (lo !== undefined && hi !== undefined && slot >= lo && slot <= hi) return port;
    }
  }
  throw new Error(`no master serves slot ${slot}`);
}

async function waitClusterOk(ports: readonly number[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(ports.map(async (p) => (await cli('-p', String(p), 'CLUSTER', 'INFO')).stdout));
    if (states.every((s) => /cluster_state:ok/.test(s))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('cluster did not reach cluster_state:ok within 20 s');
}
