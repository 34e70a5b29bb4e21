/**
 * GET /api/status, the way the Functions worker runs it: the built bundle loaded with a stand-in
 * `@azure/functions-core`, the registration inspected, the callback invoked through the captured
 * programming model with an HTTP trigger input as the host sends it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctionsApp, type FunctionsApp } from '../../src/local/worker-standin';
import { addEntries, createGroup, readAsConsumer, testSettings, tweet } from '../helpers/backlog';
import { redisCli } from '../helpers/operator';
import type { RedisServer } from '../helpers/redis-server';
import { serverAtLeast } from '../helpers/server-version';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
let outdir: string;
let app: FunctionsApp;
const savedEnv = { ...process.env };
let stream: string;
let group: string;

useRedis({}, (started) => (server = started));
beforeAll(async () => {
  const redis = server.client();
  const settings = testSettings(server);
  ({ streamName: stream, groupName: group } = settings);
  await addEntries(
    redis,
    stream,
    Array.from({ length: 10 }, (_, i) => tweet(i)),
  );
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, 'crashed', 4, { idleMs: 600_000 });

  // Our own bundle in a temp dir (same options as scripts/build.mjs), so `dist` of parallel tests is untouched.
  outdir = mkdtempSync(join(tmpdir(), 'status-bundle-'));
  await build({
    entryPoints: { index: 'functions/index.ts' },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    loader: { '.lua': 'text' },
    external: ['@azure/functions-core'],
    logLevel: 'warning',
  });
  // The worker reads app settings from its environment.
  Object.assign(process.env, {
    REDIS_HOST: server.host,
    STREAM_NAME: stream,
    STREAM_CONSUMER_GROUP_NAME: group,
    REDIS_TLS: 'false',
  });
  app = await loadFunctionsApp(join(outdir, 'index.js'));
});
afterAll(async () => {
  await app?.terminate();
  process.env = savedEnv;
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

function httpGet(query: Record<string, string> = {}): Promise<unknown> {
  const fn = app.functions.get('status');
  const trigger = Object.entries(fn?.metadata.bindings ?? {}).find(([, b]) => b.type === 'httpTrigger');
  if (!trigger) throw new Error('status has no httpTrigger binding');
  const qs = new URLSearchParams(query).toString();
  const http = {
    method: 'GET',
    url: `http://localhost:7071/api/status${qs ? `?${qs}` : ''}`,
    headers: {},
    query,
    params: {},
  };
  return app.invoke('status', [{ name: trigger[0], data: { http } }]);
}

describe('the status function', () => {
  it('is registered as GET /api/status with function-level auth', () => {
    const fn = app.functions.get('status');
    expect(fn).toBeDefined();
    const bindings = Object.values(fn?.metadata.bindings ?? {});
    expect(bindings).toContainEqual(
      expect.objectContaining({
        type: 'httpTrigger',
        direction: 'in',
        authLevel: 'function',
        methods: ['GET'],
        route: 'status',
      }),
    );
    expect(bindings).toContainEqual(expect.objectContaining({ type: 'http', direction: 'out' }));
    expect(app.functions.has('reclaim')).toBe(true);
  });

  it('returns the stats of the configured group, as redis-cli reports them', async () => {
    const response = (await httpGet()) as { status: number; jsonBody: Record<string, unknown> };
    expect(response.status).toBe(200);
    const [count, smallest] = redisCli(server, 'XPENDING', stream, group) as [number, string];
    const consumers = redisCli(server, 'XINFO', 'CONSUMERS', stream, group) as { name: string; pending: number }[];
    expect(response.jsonBody).toMatchObject({
      stream,
      group,
      pending: count,
      oldestPendingId: smallest,
      streamLength: redisCli(server, 'XLEN', stream),
      lag: serverAtLeast(7) ? 6 : null, // XINFO GROUPS reports lag from 7.0
      deadLetters: 0,
      consumers: consumers.map((c) => expect.objectContaining({ name: c.name, pending: c.pending })),
    });
    expect(count).toBe(4);
  });

  it('answers 400 with a message for a bad ?sample', async () => {
    const response = (await httpGet({ sample: 'all' })) as { status: number; jsonBody: { error: string } };
    expect(response.status).toBe(400);
    expect(response.jsonBody.error).toContain('sample');
  });
});
