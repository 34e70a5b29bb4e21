/**
 * Throwaway redis-server for tests: a unix socket (or a random loopback port) in a temp dir,
 * no persistence, stopped by pid. `REDIS_SERVER_BIN` picks another binary (valkey-server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort, throwawayArgs, waitReady } from '../../src/local/redis-server';

export { freePort };

export interface RedisServer {
  readonly pid: number;
  /** Unix socket path, or `127.0.0.1:<port>` when started with `tcp: true`. */
  readonly host: string;
  readonly port: number | undefined;
  readonly dir: string;
  /** A plain client for setting up and checking state. */
  client(password?: string): Redis;
  /** SIGKILL by pid (a crash: no shutdown, no save); resolves once it has exited. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Also listen on a loopback TCP port (`port`, else a free one). */
  tcp?: boolean;
  /** Passed after the defaults: `--requirepass`, TLS, `--maxmemory`, cluster flags. */
  args?: string[];
  port?: number;
  /** A data dir the caller keeps (an AOF surviving a restart); else a temp dir, removed on stop. */
  dir?: string;
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'reclaimer-redis-'));
  const socket = join(dir, 'redis.sock');
  const port = options.tcp ? (options.port ?? (await freePort())) : undefined;
  const bin = process.env.REDIS_SERVER_BIN || 'redis-server';
  const args = throwawayArgs(dir, socket, port, options.args);
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitReady(socket, () => child.exitCode !== null);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not start: ${(error as Error).message}: ${stderr}`);
  }
  const clients: Redis[] = [];
  return {
    pid: child.pid as number,
    host: port ? '127.0.0.1' : socket,
    port,
    dir,
    client(password?: string) {
      const c = new Redis({ path: socket, maxRetriesPerRequest: 1, password });
      clients.push(c);
      return c;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, 'SIGTERM');
      await exited;
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
