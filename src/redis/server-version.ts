/** Which server, and which version: the scan strategy (src/reclaim/scan.ts) and the ACL rule depend on it. */
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './client';

export type ServerFlavor = { name: 'redis' | 'valkey'; version: [number, number, number] };

/** Reads the server's name and version from INFO server (any node of a cluster). */
export async function serverVersion(client: RedisClient): Promise<ServerFlavor> {
  const node = client instanceof Cluster ? (client.nodes('master')[0] ?? client) : client;
  const info = await (node as Redis).info('server');
  const valkey = /^valkey_version:(\S+)/m.exec(info);
  const redis = /^redis_version:(\S+)/m.exec(info);
  const text = valkey?.[1] ?? redis?.[1] ?? '0.0.0';
  const [major = 0, minor = 0, patch = 0] = text.split('.').map((n) => Number.parseInt(n, 10) || 0);
  return { name: valkey ? 'valkey' : 'redis', version: [major, minor, patch] };
}
