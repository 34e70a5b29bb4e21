/**
 * The version of the server binary the tests start (`REDIS_SERVER_BIN`, else `redis-server`),
 * read once from `--version`, so a fixture or expectation can follow what that server supports.
 * Valkey answers as the Redis it is compatible with (7.2) for every command used here.
 */
import { execFileSync } from 'node:child_process';
import type { Cluster, Redis } from 'ioredis';

export interface ServerBinary {
  readonly name: 'redis' | 'valkey';
  /** The binary's own version, e.g. [6, 0] or Valkey's [9, 1]. */
  readonly version: readonly [number, number];
}

let cached: ServerBinary | undefined;

export function serverBinary(): ServerBinary {
  if (cached) return cached;
  const bin = process.env.REDIS_SERVER_BIN || 'redis-server';
  const text = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  const match = /v=(\d+)\.(\d+)/.exec(text);
  if (!match) throw new Error(`\`${bin} --version\` printed no version (v=X.Y): ${text}`);
  cached = { name: /valkey/i.test(text) ? 'valkey' : 'redis', version: [Number(match[1]), Number(match[2])] };
  return cached;
}

/** True when the server supports what Redis `major.minor` introduced. */
export function serverAtLeast(major: number, minor = 0): boolean {
  const { name, version } = serverBinary();
  const [ma, mi] = name === 'valkey' ? [7, 2] : version;
  return ma > major || (ma === major && mi >= minor);
}

/** `XGROUP CREATECONSUMER` needs 6.2: an empty history read (ID 0) creates the consumer on every version. */
export async function createConsumer(
  redis: Redis | Cluster,
  stream: string,
  group: string,
  consumer: string,
): Promise<void> {
  await redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1, 'STREAMS', stream, '0');
}
