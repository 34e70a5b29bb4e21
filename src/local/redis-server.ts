/**
 * A throwaway redis-server for the demo: unix socket in a temp dir, no persistence, stopped by
 * its pid (never by name), temp dir removed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

export interface DemoRedis {
  readonly pid: number;
  readonly socket: string;
  /** The loopback TCP port, when one was asked for. */
  readonly port: number | undefined;
  stop(): Promise<void>;
}

export { findRedisServer, RedisServerMissingError, resolveRedisServer } from './server-binary';

/**
 * A throwaway server's arguments: a unix socket in `dir` (and 127.0.0.1:`port` when given), no
 * persistence, then `extra`. The demo, the benchmark and the tests start their servers so.
 */
export function throwawayArgs(
  dir: string,
  socket: string,
  port: number | undefined,
  extra: readonly string[] = [],
): string[] {
  const listen = [
    '--port',
    String(port ?? 0),
    '--bind',
    '127.0.0.1',
    '--unixsocket',
    socket,
    '--unixsocketperm',
    '700',
  ];
  return [...listen, '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
}

/**
 * `port` also listens on 127.0.0.1:`port` (the benchmark measures over TCP, as deployed);
 * `args` are passed after the defaults (the benchmark's cluster nodes add `--cluster-enabled`).
 */
export async function startDemoRedis(
  binary: string,
  options: { port?: number; args?: readonly string[] } = {},
): Promise<DemoRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'stream-reclaimer-demo-'));
  const socket = join(dir, 'redis.sock');
  const args = throwawayArgs(dir, socket, options.port, options.args);
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  const pid = child.pid;

  const stop = async (): Promise<void> => {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(pid, 'SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await Promise.race([waitReady(socket, () => child.exitCode !== null), spawnError]);
  } catch (error) {
    await stop();
    throw new Error(`redis-server did not start: ${(error as Error).message}${stderr ? `\n${stderr}` : ''}`);
  }
  return { pid: pid as number, socket, port: options.port, stop };
}

/** Resolves once the server on `socket` answers; the tests' servers start with it too. */
export async function waitReady(socket: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('it exited early');
    // No ready check: its INFO fails on a password-protected server, which is up all the same.
    const probe = new Redis({
      path: socket,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch (error) {
      // A password-protected server (the tests' own) that answers NOAUTH is up.
      if (/NOAUTH/.test(String(error))) return;
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      probe.disconnect();
    }
  }
  throw new Error('not ready within 10 s');
}

/** A loopback TCP port that was free a moment ago (for a server about to be started on it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free loopback port')),
      );
    });
  });
}
