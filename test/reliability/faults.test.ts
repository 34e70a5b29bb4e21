/**
 * Connection faults through a loopback TCP proxy (cut mid-batch, refused, slowed) and a Redis
 * restart (AOF, fsync always) mid-run: each faulted run finishes or fails with a clear error
 * within bounded time, and after the next clean run the invariant holds on every entry.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  createClient,
  DEFAULT_LIMITS,
  open as openClient,
  type ConnectionLimits,
  type RedisClient,
} from '../../src/redis/connection';
import { RedisUnavailableError } from '../../src/errors';
import { buildKeys } from '../../src/redis/keys';
import { createHashWriter, type Processor } from '../../src/reclaim/process';
import { runReclaim, type Summary } from '../../src/reclaim/run';
import type { Settings } from '../../src/config/settings';
import { testSettings } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { checkInvariant } from '../helpers/invariant';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { useRedis } from '../helpers/use-redis';
import { backdateReclaimer, OutputLog, PASSWORD, runCli, seedBacklog, sleep, type SeededBacklog } from './support';

/** The product's limits with shorter timeouts, so a fault resolves in seconds, not minutes. */
const LIMITS: ConnectionLimits = { ...DEFAULT_LIMITS, connectTimeoutMs: 1_000, commandTimeoutMs: 2_000 };
/** Longest a faulted run may take: retries (0.2 + 0.4 + 0.8 s) plus a timeout or two, with slack. */
const BOUND_MS = 15_000;

let server: RedisServer;
let redis: Redis;
let proxy: TcpProxy;
const log = new OutputLog();
let faults = 0;
let checked = 0;

const connections = useRedis(
  { tcp: true, args: ['--requirepass', PASSWORD] },
  (started) => ([server, redis] = [started, started.client(PASSWORD)]),
);
beforeAll(async () => {
  ensureBuilt();
  proxy = await startProxy({ host: '127.0.0.1', port: server.port as number });
});
afterAll(async () => {
  await proxy?.close();
  console.log(
    `[faults] faults injected=${faults} entries checked=${checked} lost=0 proxy=${JSON.stringify(proxy?.stats)}`,
  );
  expect(log.leaks(PASSWORD)).toEqual([]);
});

const viaProxy = (env: Record<string, string> = {}): Settings =>
  testSettings(server, {
    REDIS_HOST: `127.0.0.1:${proxy.port}`,
    REDIS_PASSWORD: PASSWORD,
    HASH_KEY_FIELD: 'k',
    MAX_DELIVERIES: '5',
    BATCH_SIZE: '50',
    ...env,
  });

/** createClient + open(…, LIMITS): the test keeps the client to cut and close it. */
async function open(settings: Settings): Promise<RedisClient> {
  const c = connections.keep(createClient(settings, LIMITS));
  await openClient(c, settings, LIMITS);
  return c;
}

/** The hash writer, with `fault` fired (once) as the `at`-th entry is processed: mid-batch. */
function faultingWriter(settings: Settings, at: number, fault: () => void): Processor {
  const writer = createHashWriter(buildKeys(settings), settings.hashKeyField);
  let calls = 0;
  return {
    async process(entry, source) {
      if (++calls === at) {
        faults++;
        fault();
      }
      return writer.process(entry, source);
    },
  };
}

type Outcome = { summary: Summary; error?: undefined; ms: number } | { summary?: undefined; error: Error; ms: number };

async function attempt(settings: Settings, processor?: Processor, signal?: AbortSignal): Promise<Outcome> {
  const started = Date.now();
  try {
    const client = await open(settings);
    const summary = await runReclaim({ client, settings, processor, logger: log.logger('faulted run'), signal });
    return { summary, ms: Date.now() - started };
  } catch (error) {
    log.error('faulted run', error);
    return { error: error as Error, ms: Date.now() - started };
  }
}

/** A failed run names the server and says the connection is the problem. */
function expectClearFailure(outcome: Outcome, target: string): void {
  console.log(
    `[faults] ${expect.getState().currentTestName}: ${outcome.error ? `failed: ${outcome.error.name}: ${outcome.error.message}` : `finished: ${JSON.stringify(outcome.summary)}`} in ${outcome.ms} ms`,
  );
  if (!outcome.error) return;
  expect(outcome.error).toBeInstanceOf(RedisUnavailableError);
  expect(outcome.error.message).toContain(target);
}

/** The next clean run (faults off, abandoned claims backdated) completes; then check every entry. */
async function cleanRunAndCheck(settings: Settings, backlog: SeededBacklog, direct: Settings): Promise<void> {
  proxy.setLatency(0);
  await proxy.accept();
  await backdateReclaimer(redis, settings);
  const client = await connect(direct, LIMITS);
  try {
    const summary = await runReclaim({ client, settings: direct, logger: log.logger('clean run') });
    expect(summary).toMatchObject({ complete: true, failed: 0 });
  } finally {
    client.disconnect();
  }
  const report = await checkInvariant(redis, settings, backlog, { final: true });
  expect(report.violations).toEqual([]);
  expect(report.states.pending).toBe(0);
  checked += report.checked;
}

const directTo = (s: Settings): Settings => ({ ...s, redisPort: server.port as number });

describe('connections cut mid-batch', () => {
  it.each([[25], [700], [1_900]])(
    'cut at the %i-th entry: the run finishes or fails clearly, nothing is lost',
    async (at) => {
      const settings = viaProxy();
      const backlog = await seedBacklog(redis, settings, 3_000);
      const outcome = await attempt(
        settings,
        faultingWriter(settings, at, () => proxy.cut()),
      );
      expect(outcome.ms).toBeLessThan(BOUND_MS);
      expectClearFailure(outcome, `127.0.0.1:${proxy.port}`);
      await cleanRunAndCheck(settings, backlog, directTo(settings));
    },
  );

  it('cut by a timer while the built-in writer settles, three times in one run', async () => {
    const settings = viaProxy({ BATCH_SIZE: '20' });
    const backlog = await seedBacklog(redis, settings, 5_000);
    const timers = [40, 120, 250].map((ms) => setTimeout(() => (faults++, proxy.cut()), ms));
    const outcome = await attempt(settings);
    timers.forEach(clearTimeout);
    expect(outcome.ms).toBeLessThan(BOUND_MS);
    expectClearFailure(outcome, `127.0.0.1:${proxy.port}`);
    await cleanRunAndCheck(settings, backlog, directTo(settings));
  });
});

describe('connections refused', () => {
  it('refused at connect: a clear RedisUnavailableError, fast', async () => {
    const settings = viaProxy();
    await proxy.refuse();
    faults++;
    const started = Date.now();
    const error = await connect(settings, LIMITS).then(
      (c) => (c.disconnect(), undefined),
      (e: unknown) => e as Error,
    );
    log.error('refused connect', error);
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error?.message).toMatch(new RegExp(`Cannot reach Redis at 127\\.0\\.0\\.1:${proxy.port}: .*ECONNREFUSED`));
    await proxy.accept();
  });

  it('refused at connect, via the CLI: exit 1 with the reason on stderr, within the product default limits', async () => {
    const settings = viaProxy();
    await proxy.refuse();
    faults++;
    const r = await runCli(
      ['run', '--json'],
      {
        REDIS_HOST: `127.0.0.1:${proxy.port}`,
        REDIS_TLS: 'false',
        REDIS_PASSWORD: PASSWORD,
        STREAM_NAME: settings.streamName,
        STREAM_CONSUMER_GROUP_NAME: settings.groupName,
      },
      log,
    );
    await proxy.accept();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`Cannot reach Redis at 127.0.0.1:${proxy.port}`);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.ms).toBeLessThan(BOUND_MS);
  });

  it('cut and refused mid-batch: the run gives up after its reconnect attempts, clearly; nothing lost', async () => {
    const settings = viaProxy();
    const backlog = await seedBacklog(redis, settings, 3_000);
    const outcome = await attempt(
      settings,
      faultingWriter(settings, 400, () => {
        void proxy.refuse();
        proxy.cut();
      }),
    );
    expect(outcome.ms).toBeLessThan(BOUND_MS);
    expect(outcome.error).toBeDefined();
    expectClearFailure(outcome, `127.0.0.1:${proxy.port}`);
    await cleanRunAndCheck(settings, backlog, directTo(settings));
  });
});

describe('a slow network', () => {
  it('20 ms each way: the run finishes, just slower', async () => {
    const settings = viaProxy({ BATCH_SIZE: '200' });
    const backlog = await seedBacklog(redis, settings, 2_000);
    proxy.setLatency(20);
    faults++;
    const outcome = await attempt(settings);
    proxy.setLatency(0);
    expect(outcome.error).toBeUndefined();
    expect(outcome.ms).toBeLessThan(BOUND_MS);
    await cleanRunAndCheck(settings, backlog, directTo(settings));
  });

  it('slower than the command timeout mid-run: the run fails with a timeout, clearly; nothing lost', async () => {
    const settings = viaProxy();
    const backlog = await seedBacklog(redis, settings, 3_000);
    const outcome = await attempt(
      settings,
      faultingWriter(settings, 500, () => proxy.setLatency(LIMITS.commandTimeoutMs + 1_000)),
    );
    expect(outcome.ms).toBeLessThan(BOUND_MS);
    expect(outcome.error?.message).toMatch(/timed out/i);
    expectClearFailure(outcome, `127.0.0.1:${proxy.port}`);
    // Commands still in the slow pipe may reach the server later; the fence makes them harmless.
    proxy.cut();
    await sleep(100);
    await cleanRunAndCheck(settings, backlog, directTo(settings));
  });

  // connect(settings, limits) once ignored `limits` (the default 30 s command timeout applied).
  it('connect(settings, limits) applies limits.commandTimeoutMs', async () => {
    const settings = viaProxy();
    const client = connections.keep(await connect(settings, LIMITS));
    // A reply held longer than the default 30 s command timeout: only the 2 s limit can end the
    // wait well inside BOUND_MS (a margin no loaded machine eats; no timing window).
    proxy.setLatency(40_000);
    faults++;
    const started = Date.now();
    try {
      await expect(client.ping()).rejects.toThrow(/timed out/i);
      expect(Date.now() - started).toBeLessThan(BOUND_MS);
    } finally {
      proxy.setLatency(0);
      proxy.cut();
    }
  });
});

describe('Redis restarted mid-run (AOF, appendfsync always)', () => {
  it.each([['SIGKILL'], ['SIGTERM']] as const)(
    '%s then restart: the run finishes or fails clearly; nothing lost',
    async (signal) => {
      const dir = server.dir + `-aof-${signal}`;
      const { mkdirSync } = await import('node:fs');
      mkdirSync(dir, { recursive: true });
      const aof = ['--requirepass', PASSWORD, '--appendonly', 'yes', '--appendfsync', 'always'];
      let node = await startRedis({ tcp: true, dir, args: aof });
      const port = node.port as number;
      const admin = node.client(PASSWORD);
      const settings = testSettings(node, {
        REDIS_HOST: `127.0.0.1:${port}`,
        REDIS_PASSWORD: PASSWORD,
        HASH_KEY_FIELD: 'k',
        BATCH_SIZE: '50',
      });
      const backlog = await seedBacklog(admin, settings, 3_000);
      admin.disconnect();

      let restarted: Promise<void> = Promise.resolve();
      const outcome = await attempt(
        settings,
        faultingWriter(settings, 600, () => {
          const old = node;
          restarted = (async () => {
            process.kill(old.pid, signal);
            await old.stop().catch(() => undefined);
            node = await startRedis({ tcp: true, port, dir, args: aof });
          })();
        }),
      );
      await restarted;
      console.log(
        `[faults] restart (${signal}): ${outcome.error ? `failed: ${outcome.error.message}` : `finished: ${JSON.stringify(outcome.summary)}`} in ${outcome.ms} ms`,
      );
      expect(outcome.ms).toBeLessThan(BOUND_MS);
      if (outcome.error) expect(outcome.error.message).toContain(`127.0.0.1:${port}`);
      if (outcome.error)
        expect(outcome.error.message).toMatch(/Lost or could not open the connection|Cannot reach|LOADING|timed out/);

      const check = node.client(PASSWORD);
      await backdateReclaimer(check, settings);
      const client = await connect(settings, LIMITS);
      const summary = await runReclaim({ client, settings, logger: log.logger('clean run') });
      client.disconnect();
      expect(summary).toMatchObject({ complete: true, failed: 0 });
      const report = await checkInvariant(check, settings, backlog, { final: true });
      expect(report.violations).toEqual([]);
      checked += report.checked;
      await node.stop();
      const { rmSync } = await import('node:fs');
      rmSync(dir, { recursive: true, force: true });
    },
  );
});
