/**
 * The built Functions app with APPLICATIONINSIGHTS_CONNECTION_STRING set: functions/telemetry.ts
 * registers Azure Monitor first, and a timer run's spans and metrics reach the ingestion
 * endpoint (a local stand-in) by the end of the invocation. Plus the Entra ingestion options.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureMonitorOptions } from '../../functions/telemetry';
import { provideAppSettings } from '../../src/demo/functions-app';
import { loadFunctionsApp, type FunctionsApp } from '../../src/demo/worker-standin';
import { addEntries, createGroup, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { startIngestion, type Ingestion } from '../helpers/ingestion';
import { startRedis, type RedisServer } from '../helpers/redis-server';

const main = resolve(JSON.parse(readFileSync('package.json', 'utf8')).main as string);
let server: RedisServer;
let ingestion: Ingestion;
let app: FunctionsApp | undefined;

beforeAll(async () => {
  if (!existsSync(main)) execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  server = await startRedis();
  ingestion = await startIngestion();
});
afterAll(async () => {
  await app?.terminate();
  await ingestion?.close();
  await server?.stop();
});

describe('Azure Monitor in the Functions app', () => {
  it('exports the run span and the metrics of a timer invocation to the ingestion endpoint', async () => {
    const stream = uniqueName('stream');
    const group = uniqueName('group');
    const redis = server.client();
    await addEntries(redis, stream, Array.from({ length: 30 }, (_, i) => tweet(i)));
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 30, { idleMs: 600_000 });
    provideAppSettings({
      REDIS_HOST: server.host,
      REDIS_TLS: 'false',
      STREAM_NAME: stream,
      STREAM_CONSUMER_GROUP_NAME: group,
      APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
    });
    app = await loadFunctionsApp(main);
    expect(app.hooks.get('postInvocation')).toHaveLength(1);

    await expect(app.invokeTimer('reclaim')).resolves.toMatchObject({ processed: 30 });
    await app.terminate();
    app = undefined;

    // Shutdown hands the last batch to the HTTP client; the stand-in receives it a moment later.
    expect(await ingestion.received(`reclaim ${stream}`)).toBe(true);
    const all = ingestion.bodies.join('\n');
    expect(all).toContain(`reclaim ${stream}`);
    expect(all).toContain(`process ${stream}`);
    expect(all).toContain('reclaimer.messages');
    expect(all).toContain('reclaimer.group.pending');
  });
});

describe('Entra ID ingestion (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)', () => {
  it('uses the managed identity named by the authentication string', () => {
    const options = azureMonitorOptions({ connectionString: 'InstrumentationKey=x', entraClientId: '11111111-2222-3333-4444-555555555555' });
    expect(options?.azureMonitorExporterOptions?.credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(options?.instrumentationOptions?.redis).toEqual({ enabled: false });
  });

  it('uses the connection string alone without it, and nothing without a connection string', () => {
    expect(azureMonitorOptions({ connectionString: 'InstrumentationKey=x', entraClientId: undefined })?.azureMonitorExporterOptions).toEqual({
      connectionString: 'InstrumentationKey=x',
    });
    expect(azureMonitorOptions({ connectionString: undefined, entraClientId: 'id' })).toBeUndefined();
  });
});
