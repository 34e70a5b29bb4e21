/**
 * A stand-in for a sharded single endpoint (Azure Managed Redis under the Enterprise clustering
 * policy: one proxied address that looks like a single server): a real one-node Redis Cluster
 * owning all 16384 slots, reached with a plain, non-cluster connection. Like the proxy it serves
 * every command, refuses a script or `MULTI` whose keys lie in several slots with `CROSSSLOT`,
 * and refuses `CLUSTER` (renamed to a random name here, which only the fixture knows, so it can
 * still assign the slots). `REDIS_SERVER_BIN` picks the binary, as for the other servers.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { freePort, startRedis, type RedisServer } from './redis-server';
import { isFree } from './ports';
import { serverAtLeast } from './server-version';

export interface ShardedEndpoint {
  /** The server; `server.host` is its unix socket, which the product connects to without cluster mode. */
  readonly server: RedisServer;
  /** A plain client for setting up and checking state (the proxy's view: cross-slot refused). */
  client(): Redis;
  /** Total CROSSSLOT refusals so far, from `INFO errorstats` (7.0+) or counted per command otherwise. */
  crossSlotErrors(): Promise<number>;
  stop(): Promise<void>;
}

export async function startShardedEndpoint(): Promise<ShardedEndpoint> {
  const clusterCommand = `cluster-${randomBytes(8).toString('hex')}`;
  const port = await clusterPort();
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-node-timeout',
    '5000',
    '--rename-command',
    'CLUSTER',
    clusterCommand,
  ];
  // Before 7.0 the cluster bus is always port + 10000 (clusterPort checked it is free); from 7.0 pick one.
  if (serverAtLeast(7)) args.push('--cluster-port', String(await freePort()));
  const server = await startRedis({ tcp: true, port, args: [...args, '--cluster-config-file', 'nodes.conf'] });
  const admin = new Redis({ path: socketOf(server), maxRetriesPerRequest: 1 });
  try {
    const slots = Array.from({ length: 16384 }, (_, i) => i);
    await admin.call(clusterCommand, 'ADDSLOTS', ...slots);
    await waitOk(admin, clusterCommand);
  } finally {
    admin.disconnect();
  }
  return {
    server,
    client: () => server.client(),
    async crossSlotErrors() {
      const probe = server.client();
      try {
        const stats = await probe.info('errorstats');
        return Number(/errorstat_CROSSSLOT:count=(\d+)/.exec(stats)?.[1] ?? 0);
      } finally {
        probe.disconnect();
      }
    },
    stop: () => server.stop(),
  };
}

/** The unix socket startRedis always opens in the server's dir. */
export const socketOf = (server: RedisServer): string => `${server.dir}/redis.sock`;

/** A free loopback port; before 7.0 also with port + 10000 free (the fixed cluster bus port). */
async function clusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = await freePort();
    if (serverAtLeast(7) || (port + 10000 <= 65535 && (await isFree(port + 10000)))) return port;
  }
  throw new Error('no free loopback port with a free port + 10000 (the cluster bus before 7.0)');
}

async function waitOk(admin: Redis, clusterCommand: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const info = String(await admin.call(clusterCommand, 'INFO'));
    if (/cluster_state:ok/.test(info)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the one-node cluster did not reach cluster_state:ok within 10 s');
}
