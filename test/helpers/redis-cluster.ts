/**
 * Throwaway 3-master Redis Cluster for tests: three `redis-server --cluster-enabled yes` on
 * random loopback ports (three more as replicas with `replicas: 1`), joined with
 * `redis-cli --cluster create`, stopped by pid. `REDIS_SERVER_BIN` picks another server
 * binary, as for single servers.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, type Redis } from 'ioredis';
import { freePort, startRedis, type RedisServer } from './redis-server';
import { isFree } from './ports';
import { serverAtLeast } from './server-version';

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
  /** The node listening on `port` (a master or a replica). */
  node(port: number): RedisServer;
  stop(): Promise<void>;
}

const cli = (...args: string[]): Promise<{ stdout: string }> => run('redis-cli', args, { maxBuffer: 16 * 1024 * 1024 });

export interface ClusterOptions {
  /** Replicas per master (0 or 1): with 1, six nodes, the first three masters. */
  replicas?: 0 | 1;
  /** `cluster-node-timeout`: how long a silent master goes before its replica takes over. */
  nodeTimeoutMs?: number;
}

export async function startCluster(options: ClusterOptions = {}): Promise<RedisCluster> {
  const replicas = options.replicas ?? 0;
  const { ports, busPorts } = await clusterPorts(3 * (1 + replicas));
  const nodes: RedisServer[] = [];
  try {
    for (const [i, port] of ports.entries()) {
      // Each node keeps its cluster config in its own temp dir (startRedis's --dir). Replicas
      // sync at once (no diskless delay) and may always be promoted (validity factor 0).
      const args = [
        '--cluster-enabled',
        'yes',
        '--cluster-node-timeout',
        String(options.nodeTimeoutMs ?? 5000),
        '--repl-diskless-sync-delay',
        '0',
        '--cluster-replica-validity-factor',
        '0',
      ];
      if (busPorts) args.push('--cluster-port', String(busPorts[i]));
      nodes.push(await startRedis({ tcp: true, port, args }));
    }
    await cli(
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    );
    await waitClusterOk(ports, replicas);
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
      const c = new Cluster([{ host: '127.0.0.1', port: ports[0] as number }], {
        redisOptions: { maxRetriesPerRequest: 1 },
        maxRedirections: 64,
      });
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
        const keys = await src.cluster('GETKEYSINSLOT', slot, 100);
        if (keys.length === 0) break;
        await src.migrate('127.0.0.1', to, '', 0, 5_000, 'KEYS', ...keys);
      }
      // Target first, as redis-cli does, then the source and the third master.
      for (const port of [to, from, ...ports.filter((p) => p !== from && p !== to)])
        await node(port).cluster('SETSLOT', slot, 'NODE', dstId);
      return { from, to };
    },
    ownerOf: (slot) => ownerOf(ports, slot),
    node: (port) => {
      const found = nodes[ports.indexOf(port)];
      if (!found) throw new Error(`no cluster node on port ${port}`);
      return found;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** CLUSTER NODES from the first node that answers (a test may have killed some). */
async function clusterNodes(ports: readonly number[]): Promise<{ stdout: string }> {
  let last: unknown;
  for (const port of ports) {
    try {
      return await cli('-p', String(port), 'CLUSTER', 'NODES');
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/** The port of the master serving `slot`, from CLUSTER NODES (`ip:port@bus … lo-hi …`). */
async function ownerOf(ports: readonly number[], slot: number): Promise<number> {
  const { stdout } = await clusterNodes(ports);
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

/**
 * Distinct free client ports, and bus ports where the server lets us set them (7.0+). Before
 * 7.0 the bus is always port + 10000, so each client port is picked with that one free too.
 */
async function clusterPorts(count: number): Promise<{ ports: number[]; busPorts: number[] | undefined }> {
  const free = new Set<number>();
  if (serverAtLeast(7)) {
    while (free.size < 2 * count) free.add(await freePort());
    return { ports: [...free].slice(0, count), busPorts: [...free].slice(count) };
  }
  for (let attempt = 0; free.size < count; attempt++) {
    if (attempt > 500)
      throw new Error(`no ${count} free loopback ports with a free port + 10000 (the cluster bus before 7.0)`);
    const port = await freePort();
    if (port + 10000 <= 65535 && !free.has(port) && (await isFree(port + 10000))) free.add(port);
  }
  return { ports: [...free], busPorts: undefined };
}

/** Every node says cluster_state:ok, and with replicas, each master has a replica in sync. */
async function waitClusterOk(ports: readonly number[], replicas: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(ports.map(async (p) => (await cli('-p', String(p), 'CLUSTER', 'INFO')).stdout));
    const roles = await Promise.all(ports.map(async (p) => (await cli('-p', String(p), 'INFO', 'replication')).stdout));
    const synced = roles.filter((r) => /role:slave/.test(r) && /master_link_status:up/.test(r)).length === 3 * replicas;
    if (synced && states.every((s) => /cluster_state:ok/.test(s))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('cluster did not reach cluster_state:ok (replicas in sync) within 30 s');
}
