/**
 * The Functions app as the worker runs it: the BUILT `main` file loaded with a stand-in
 * `@azure/functions-core`, its registrations captured, the timer callback invoked through the
 * captured programming model against a real redis-server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { provideAppSettings } from '../../src/local/functions-app';
import { loadFunctionsApp, type CapturedLog, type FunctionsApp } from '../../src/local/worker-standin';
import type { Summary } from '../../src/reclaim/run';
import { addEntries, createGroup, pendingOf, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { freePort, type RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

/** Every function the app registers; a new function file adds its name here. */
const EXPECTED_FUNCTIONS = ['reclaim', ...(existsSync('functions/status.ts') ? ['status'] : [])];
const PASSWORD = 'pa55-Word-that-must-never-show';
const main = resolve(JSON.parse(readFileSync('package.json', 'utf8')).main as string);

let server: RedisServer;
let redis: Redis;
const apps: FunctionsApp[] = [];

useRedis({ args: ['--requirepass', PASSWORD] }, (started) => (server = started));
beforeAll(async () => {
  // CI builds before testing; a bare `vitest run` builds here.
  if (!existsSync(main)) execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  redis = new Redis({ path: server.host, password: PASSWORD, maxRetriesPerRequest: 1 });
});
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  for (const app of apps) await app.terminate();
  redis?.disconnect();
});

/** A fresh worker process's view: app settings in the environment, then the built app loaded. */
async function worker(env: Record<string, string>, onLog?: (log: CapturedLog) => void): Promise<FunctionsApp> {
  provideAppSettings({ REDIS_HOST: server.host, REDIS_TLS: 'false', REDIS_PASSWORD: PASSWORD, ...env });
  const app = await loadFunctionsApp(main, { onLog });
  apps.push(app);
  return app;
}
const names = (): { STREAM_NAME: string; STREAM_CONSUMER_GROUP_NAME: string } => ({
  STREAM_NAME: uniqueName('stream'),
  STREAM_CONSUMER_GROUP_NAME: uniqueName('group'),
});
const allLogs = (app: FunctionsApp): string => app.logs.map((l) => l.message).join('\n');
const connectionsReceived = async (): Promise<number> =>
  Number(/total_connections_received:(\d+)/.exec(await redis.info('stats'))?.[1]);
const reclaimerConnections = async (): Promise<number> =>
  String(await redis.client('LIST'))
    .split('\n')
    .filter((line) => / name=stream-reclaimer /.test(line)).length;

describe('registration', () => {
  it('registers exactly the expected functions; reclaim is a timerTrigger on %RECLAIM_SCHEDULE%', async () => {
    const app = await worker(names());
    expect(app.programmingModel?.name).toBe('@azure/functions');
    expect([...app.functions.keys()].sort()).toEqual([...EXPECTED_FUNCTIONS].sort());
    const bindings = Object.values(app.functions.get('reclaim')?.metadata.bindings ?? {});
    expect(bindings).toHaveLength(1);
    expect(bindings[0]).toMatchObject({ type: 'timerTrigger', direction: 'in', schedule: '%RECLAIM_SCHEDULE%' });
    // One hook, whatever else registers: it stops the runs, closes the client, then shuts
    // telemetry down. The worker runs hooks in registration order, so two hooks (telemetry's,
    // registered first) would shut the exporter down before the runs had stopped.
    expect(app.hooks.get('appTerminate')).toHaveLength(1);
  });
});

describe('invoking the timer function', () => {
  it('reclaims a crashed consumer backlog and logs the summary as one JSON line', async () => {
    const env = { ...names(), MAX_DELIVERIES: '3', BATCH_SIZE: '40' };
    const { STREAM_NAME: stream, STREAM_CONSUMER_GROUP_NAME: group } = env;
    const ids = await addEntries(
      redis,
      stream,
      Array.from({ length: 210 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 200, { idleMs: 600_000 });
    await readAsConsumer(redis, stream, group, 'poisoned', 10, { idleMs: 600_000, deliveries: 3 });
    const app = await worker(env);

    const summary = (await app.invokeTimer('reclaim', { IsPastDue: true })) as Summary;

    expect(summary).toMatchObject({
      stream,
      group,
      scanned: 210,
      processed: 200,
      deadLettered: 10,
      failed: 0,
      complete: true,
    });
    expect(await pendingOf(redis, stream, group)).toEqual([]);
    expect(await redis.hgetall(`${stream}:${ids[0]}`)).toMatchObject({ user: 'u0', seq: '0' });
    expect(await redis.xlen(`${stream}:dlq`)).toBe(10);
    const summaryLines = app.logs.filter((l) => l.category === 'user' && l.message.startsWith('{'));
    expect(summaryLines).toHaveLength(1);
    expect(summaryLines[0]).toMatchObject({ level: 'information', functionName: 'reclaim' });
    expect(JSON.parse(summaryLines[0]?.message ?? '')).toEqual(summary);
    expect(allLogs(app)).toMatch(/past due/);
    expect(app.logs.some((l) => l.level === 'warning' || l.level === 'error')).toBe(false);
    expect(allLogs(app)).not.toContain(PASSWORD);
  });
});

describe('app terminate during a run', () => {
  it('stops the run, which logs its summary and that the host is shutting down; the invocation does not fail', async () => {
    const env = { ...names(), BATCH_SIZE: '10' };
    const { STREAM_NAME: stream, STREAM_CONSUMER_GROUP_NAME: group } = env;
    await addEntries(
      redis,
      stream,
      Array.from({ length: 500 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 500, { idleMs: 600_000 });
    const consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    // The host shuts the worker down as soon as the run has started: no timing window.
    let terminating: Promise<void> | undefined;
    const app: FunctionsApp = await worker(env, (log) => {
      if (log.message.startsWith('run started')) terminating ??= app.terminate();
    });

    const summary = (await app.invokeTimer('reclaim')) as Summary;
    await terminating;

    expect(summary).toMatchObject({ stream, group, complete: false, stopReason: 'interrupted', failed: 0 });
    expect(await pendingOf(redis, stream, group)).toHaveLength(500 - summary.processed);
    const summaryLines = app.logs.filter((l) => l.category === 'user' && l.message.startsWith('{'));
    expect(summaryLines.map((l) => JSON.parse(l.message))).toEqual([summary]);
    const warnings = app.logs.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings).toEqual([expect.stringMatching(/^reclaim: the host is shutting down \(app terminate\)/)]);
    expect(allLogs(app)).not.toMatch(/budget/);
    expect(app.logs.some((l) => l.level === 'error')).toBe(false);
    // The hook's one line, written to the worker's console (the host records it outside any invocation).
    expect(consoleLog.mock.calls).toEqual([['host shutting down: 1 run stopped, Redis client closed, telemetry off']]);
  });
});

describe('the terminate hook', () => {
  it('logs one line saying what it did, also when nothing was running or open', async () => {
    const consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const app = await worker(names());
    await app.terminate();
    const env = names();
    await createGroup(redis, env.STREAM_NAME, env.STREAM_CONSUMER_GROUP_NAME);
    const used = await worker(env);
    await used.invokeTimer('reclaim');
    await used.terminate();
    expect(consoleLog.mock.calls).toEqual([
      ['host shutting down: 0 runs stopped, no Redis client open, telemetry off'],
      ['host shutting down: 0 runs stopped, Redis client closed, telemetry off'],
    ]);
    expect(JSON.stringify(consoleLog.mock.calls)).not.toContain(PASSWORD);
  });
});

describe('an invocation that cannot do its job rejects, naming the cause, never the password', () => {
  it('invalid settings: every invocation, the same message, no connection made', async () => {
    const before = await connectionsReceived();
    const app = await worker({ ...names(), MAX_DELIVERIES: 'zero', RECLAIM_SCHEDULE: '*/5 * * * *' });
    for (let i = 0; i < 2; i++) {
      const error = await app.invokeTimer('reclaim').then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/Invalid settings/);
      expect(error?.message).toMatch(/MAX_DELIVERIES/);
      expect(error?.message).toMatch(/RECLAIM_SCHEDULE/);
      expect(error?.message).not.toContain(PASSWORD);
    }
    expect(await connectionsReceived()).toBe(before);
    expect(allLogs(app)).not.toContain(PASSWORD);
  });

  it('unreachable Redis', async () => {
    const port = await freePort();
    const app = await worker({ ...names(), REDIS_HOST: `127.0.0.1:${port}` });
    await expect(app.invokeTimer('reclaim')).rejects.toThrow(
      new RegExp(`Cannot reach Redis at 127\\.0\\.0\\.1:${port}.*ECONNREFUSED`),
    );
    expect(allLogs(app)).toMatch(/reclaim failed/);
    expect(allLogs(app)).not.toContain(PASSWORD);
  });

  it('credentials refused', async () => {
    const wrong = 'Wrong-Secret-42';
    const app = await worker({ ...names(), REDIS_PASSWORD: wrong });
    const error = await app.invokeTimer('reclaim').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/refused the credentials/);
    expect(error?.message).not.toContain(wrong);
    expect(allLogs(app)).not.toContain(wrong);
  });

  it('missing group, and missing stream: the message says which one is missing', async () => {
    const env = names();
    await redis.xadd(env.STREAM_NAME, '*', 'a', '1');
    const absent = uniqueName('absent');
    for (const [stream, name, says] of [
      [
        env.STREAM_NAME,
        'MissingGroupError',
        `has no consumer group \`${env.STREAM_CONSUMER_GROUP_NAME}\` (it has no groups)`,
      ],
      [absent, 'MissingStreamError', `Stream \`${absent}\` does not exist`],
    ] as const) {
      const app = await worker({ ...env, STREAM_NAME: stream });
      const error = await app.invokeTimer('reclaim').then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.name).toBe(name);
      expect(error?.message).toContain(says);
      expect(error?.message).toContain(`XGROUP CREATE ${stream} ${env.STREAM_CONSUMER_GROUP_NAME} $`);
      expect(error?.message).not.toContain(PASSWORD);
    }
  });
});

describe('several targets', () => {
  it('logs the summary with every target, then fails the invocation naming each failed target; the others are reclaimed', async () => {
    const env = names();
    const [other, absent, missing] = [uniqueName('other'), uniqueName('absent'), uniqueName('missing')];
    for (const [stream, n] of [
      [env.STREAM_NAME, 2],
      [other, 3],
    ] as const) {
      await addEntries(
        redis,
        stream,
        Array.from({ length: n }, (_, i) => tweet(i)),
      );
      await createGroup(redis, stream, env.STREAM_CONSUMER_GROUP_NAME);
      await readAsConsumer(redis, stream, env.STREAM_CONSUMER_GROUP_NAME, 'crashed', n, { idleMs: 600_000 });
    }
    // Three streams × two groups: one stream is missing, one group is missing on every stream.
    const app = await worker({
      STREAM_NAME: `${env.STREAM_NAME},${absent},${other}`,
      STREAM_CONSUMER_GROUP_NAME: `${env.STREAM_CONSUMER_GROUP_NAME},${missing}`,
    });

    const error = await app.invokeTimer('reclaim').then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(error?.name).toBe('TargetsFailedError');
    expect(error?.message).toMatch(/^4 target\(s\) failed: /);
    for (const s of [env.STREAM_NAME, other])
      expect(error?.message).toContain(
        `${s} / ${missing}: Stream \`${s}\` on ${server.host} has no consumer group \`${missing}\``,
      );
    for (const g of [env.STREAM_CONSUMER_GROUP_NAME, missing])
      expect(error?.message).toContain(`${absent} / ${g}: Stream \`${absent}\` does not exist`);
    expect(error?.message).not.toContain(PASSWORD);
    // The summary was logged before the invocation failed.
    const messages = app.logs.map((l) => l.message);
    const summaryAt = messages.findIndex((m) => m.startsWith('{') && m.includes('"targets"'));
    expect(summaryAt).toBeGreaterThanOrEqual(0);
    expect(messages.findIndex((m) => m.startsWith('reclaim failed:'))).toBeGreaterThan(summaryAt);
    const ok = (stream: string, processed: number) => ({
      stream,
      group: env.STREAM_CONSUMER_GROUP_NAME,
      processed,
      complete: true,
    });
    const failed = (stream: string, group: string) => ({
      stream,
      group,
      error: expect.stringMatching(/does not exist|has no consumer group/),
    });
    expect(JSON.parse(messages[summaryAt] ?? '{}')).toMatchObject({
      processed: 5,
      complete: false,
      targets: [
        ok(env.STREAM_NAME, 2),
        failed(env.STREAM_NAME, missing),
        failed(absent, env.STREAM_CONSUMER_GROUP_NAME),
        failed(absent, missing),
        ok(other, 3),
        failed(other, missing),
      ],
    });
    for (const s of [env.STREAM_NAME, other])
      expect(await pendingOf(redis, s, env.STREAM_CONSUMER_GROUP_NAME)).toEqual([]);
  });
});

describe('the connection', () => {
  it('is created once per worker across invocations, closed by appTerminate, recreated after', async () => {
    const env = names();
    await createGroup(redis, env.STREAM_NAME, env.STREAM_CONSUMER_GROUP_NAME);
    const app = await worker(env);
    const before = await reclaimerConnections();
    const received = await connectionsReceived();

    await Promise.all([app.invokeTimer('reclaim'), app.invokeTimer('reclaim'), app.invokeTimer('reclaim')]);
    for (let i = 0; i < 5; i++) await app.invokeTimer('reclaim');

    expect(await connectionsReceived()).toBe(received + 1);
    expect(await reclaimerConnections()).toBe(before + 1);
    await app.terminate();
    await until(async () => (await reclaimerConnections()) === before);

    await app.invokeTimer('reclaim');
    expect(await reclaimerConnections()).toBe(before + 1);
    await app.terminate();
    await until(async () => (await reclaimerConnections()) === before);
  });
});

/** Waits for a condition the server reaches asynchronously (a closed socket); fails after 5 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
