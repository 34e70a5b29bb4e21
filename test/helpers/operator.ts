/** For the operator-command tests: the CLI's environment for a test server, and redis-cli as the reference. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { RedisServer } from './redis-server';

/** The environment the CLI reads, for a server's unix socket. */
export const cliEnv = (
  server: RedisServer,
  stream: string,
  group: string,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  REDIS_HOST: join(server.dir, 'redis.sock'),
  STREAM_NAME: stream,
  STREAM_CONSUMER_GROUP_NAME: group,
  ...extra,
});

/** `redis-cli --json` against the test server's socket: the reference the commands are compared with. */
export function redisCli(server: RedisServer, ...args: string[]): unknown {
  const out = execFileSync('redis-cli', ['-s', join(server.dir, 'redis.sock'), '--json', ...args], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}
