/** For the operator-command tests: the CLI in-process with captured output, and redis-cli as the reference. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/cli/index';
import type { CliIO } from '../../src/cli/io';
import type { RedisServer } from './redis-server';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `stream-reclaimer <args>` in this process; stdout is not a terminal unless `isTTY`. */
export async function runCli(args: string[], env: Record<string, string>, isTTY = false): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    isTTY,
    onInterrupt: () => () => undefined,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** The environment the CLI reads, for a server's unix socket. */
export const cliEnv = (server: RedisServer, stream: string, group: string, extra: Record<string, string> = {}): Record<string, string> => ({
  REDIS_HOST: join(server.dir, 'redis.sock'),
  STREAM_NAME: stream,
  STREAM_CONSUMER_GROUP_NAME: group,
  ...extra,
});

/** `redis-cli --json` against the test server's socket: the reference the commands are compared with. */
export function redisCli(server: RedisServer, ...args: string[]): unknown {
  const out = execFileSync('redis-cli', ['-s', join(server.dir, 'redis.sock'), '--json', ...args], { encoding: 'utf8' });
  return JSON.parse(out);
}
