/**
 * The built Functions app with APPLICATIONINSIGHTS_CONNECTION_STRING set: functions/telemetry.ts
 * registers Azure Monitor first, and a timer run's spans and metrics reach the ingestion
 * endpoint (a local stand-in) by the end of the invocation; at app terminate the run in flight
 * stops first and its span is still exported. Plus the Entra ingestion options.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureMonitorOptions } from '../../functions/telemetry';
import { provideAppSettings } from '../../src/local/functions-app';
import { loadFunctionsApp, type FunctionsApp } from '../../src/local/worker-standin';
import type { Summary } from '../../src/reclaim/run';
import { addEntries, createGroup, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { startIngestion, type Ingestion } from '../helpers/ingestion';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

const main = resolve(JSON.parse(readFileSync('package.json', 'utf8')).main as string);
let server: RedisServer;
let ingestion: Ingestion;
let app: FunctionsApp | undefined;
const stream = uniqueName('stream');
const group = uniqueName('group');
/** Called on each log line of the app (set by a test to act at a point of the run). */
let onLog: (message: string) => void = () => undefined;

useRedis({}, (started) => (server = started));
beforeAll(async () => {
  if (!existsSync(main)) execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  ingestion = await startIngestion();
  await createGroup(server.client(), stream, group);
  provideAppSettings({
    REDIS_HOST: server.host,
    REDIS_TLS: 'false',
    STREAM_NAME: stream,
    STREAM_CONSUMER_GROUP_NAME: group,
    BATCH_SIZE: '10',
    APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
  });
  app = await loadFunctionsApp(main, { onLog: (log) => onLog(log.message) });
});
afterAll(async () => {
  await app?.terminate();
  await ingestion?.close();
});

/** An idle backlog of `n` entries of a crashed consumer in the app's stream. */
async function backlog(n: number): Promise<void> {
  const redis = server.client();
  await addEntries(
    redis,
    stream,
    Array.from({ length: n }, (_, i) => tweet(i)),
  );
  await readAsConsumer(redis, stream, group, 'crashed', n, { idleMs: 600_000 });
}

/** The properties of every exported `reclaim <stream>` span (the distro sends them as dependencies). */
function runSpans(): Record<string, string>[] {
  const envelopes = ingestion.bodies.flatMap((b) =>
    b.trimStart().startsWith('[')
      ? (JSON.parse(b) as unknown[])
      : b
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as unknown),
  );
  return envelopes
    .map((e) => (e as { data?: { baseData?: { name?: string; properties?: Record<string, string> } } }).data?.baseData)
    .filter((d) => d?.name === `reclaim ${stream}`)
    .map((d) => d?.properties ?? {});
}

/** Waits for the ingestion stand-in to receive what the exporter has handed to its HTTP client (10 s at most). */
async function received(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 100));
}

describe('Azure Monitor in the Functions app', () => {
  it('exports the run span and the metrics of a timer invocation to the ingestion endpoint', async () => {
    await backlog(30);
    expect(app?.hooks.get('postInvocation')).toHaveLength(1);
    // One hook: the order of shutdown is in code (functions/worker.ts), not in registration order.
    expect(app?.hooks.get('appTerminate')).toHaveLength(1);

    await expect(app?.invokeTimer('reclaim')).resolves.toMatchObject({ processed: 30, stopReason: 'covered' });

    // Flushed when the invocation ended (postInvocation), before any shutdown.
    await received(() => runSpans().length > 0 && ingestion.bodies.join('\n').includes('reclaimer.group.pending'));
    expect(runSpans()).toEqual([
      expect.objectContaining({ 'reclaimer.processed': '30', 'reclaimer.stop_reason': 'covered' }),
    ]);
    const all = ingestion.bodies.join('\n');
    expect(all).toContain(`process ${stream}`);
    expect(all).toContain('reclaimer.messages');
    expect(all).toContain('reclaimer.group.pending');
  });

  it('at app terminate, stops the run in flight before shutting telemetry down: its span is exported', async () => {
    await backlog(2_000);
    const running = app as FunctionsApp;
    // The host shuts the worker down as soon as the run has started.
    let terminating: Promise<void> | undefined;
    onLog = (message) => {
      if (message.startsWith('run started')) terminating ??= running.terminate();
    };

    const summary = (await running.invokeTimer('reclaim')) as Summary;
    await terminating;
    app = undefined;

    expect(summary).toMatchObject({ complete: false, stopReason: 'interrupted' });
    // Exported only if the run ended while the exporter still took spans: telemetry shut down after.
    const interrupted = (): Record<string, string>[] =>
      runSpans().filter((p) => p['reclaimer.stop_reason'] === 'interrupted');
    await received(() => interrupted().length > 0);
    expect(interrupted()).toEqual([expect.objectContaining({ 'reclaimer.processed': String(summary.processed) })]);
  });
});

describe('Entra ID ingestion (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)', () => {
  it('uses the managed identity named by the authentication string', () => {
    const options = azureMonitorOptions({
      connectionString: 'InstrumentationKey=x',
      entraClientId: '11111111-2222-3333-4444-555555555555',
    });
    // The app `require`s @azure/identity only when it is needed: the same (CommonJS) instance here.
    const { ManagedIdentityCredential } = createRequire(resolve('package.json'))(
      '@azure/identity',
    ) as typeof import('@azure/identity');
    expect(options?.azureMonitorExporterOptions?.credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(options?.instrumentationOptions?.redis).toEqual({ enabled: false });
  });

  it('uses the connection string alone without it, and nothing without a connection string', () => {
    expect(
      azureMonitorOptions({ connectionString: 'InstrumentationKey=x', entraClientId: undefined })
        ?.azureMonitorExporterOptions,
    ).toEqual({
      connectionString: 'InstrumentationKey=x',
    });
    expect(azureMonitorOptions({ connectionString: undefined, entraClientId: 'id' })).toBeUndefined();
  });
});
