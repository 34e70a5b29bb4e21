/**
 * The operator's paths on one endpoint that shards (the one-node-cluster stand-in of
 * test/helpers/redis-proxy-fixture.ts), with default, untagged settings: `dlq list|replay|purge`
 * (replay moves records between two slots), `stats`, `GET /api/status` (the built function app
 * in the worker stand-in), and a `STREAM_PATTERN` run over several targets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { loadFunctionsApp, type FunctionsApp } from '../../src/local/worker-standin';
import { uniqueName } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { runCli } from '../helpers/cli';
import { checkInvariant } from '../helpers/invariant';
import { startShardedEndpoint, type ShardedEndpoint } from '../helpers/redis-proxy-fixture';
import { proxyEnv, seedProxyBacklog, settingsOf, WIDE_PAIRS } from '../helpers/proxy-scenario';
import { seedGroups } from '../reliability/support';

let endpoint: ShardedEndpoint;
let redis: Redis;

beforeAll(async () => {
  ensureBuilt();
  endpoint = await startShardedEndpoint();
  redis = endpoint.client();
});
afterAll(async () => {
  await endpoint?.stop();
});

describe('dlq list, replay and purge with untagged streams', () => {
  it('list every record, replay them across slots (the wide one too) and purge what is left', async () => {
    const env = proxyEnv(endpoint);
    const settings = settingsOf(env);
    expect(calculateSlot(settings.deadLetterStream)).not.toBe(calculateSlot(settings.streamName));
    const backlog = await seedProxyBacklog(redis, settings, 200);
    expect((await runCli(['run', '--json'], env)).code).toBe(0);

    const list = await runCli(['dlq', 'list', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    const records = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; sourceId: string; fields: string[] });
    expect(records).toHaveLength(await redis.xlen(settings.deadLetterStream));
    expect(records.find((r) => r.sourceId === backlog.wide)?.fields).toHaveLength(2 * WIDE_PAIRS);

    const keep = records[0] as { id: string };
    const replayed = records.slice(1);
    const lengthBefore = await redis.xlen(settings.streamName);
    const replay = await runCli(['dlq', 'replay', '--json', '--id', ...replayed.map((r) => r.id)], env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stderr).toMatch(/refused a script over keys in several hash slots/);
    const out = JSON.parse(replay.stdout) as { replayed: { id: string; newId: string }[] };
    expect(out.replayed.map((r) => r.id)).toEqual(replayed.map((r) => r.id));
    expect(await redis.xlen(settings.streamName)).toBe(lengthBefore + replayed.length);
    // Fields restored exactly, the wide record's too.
    for (const { id, newId } of out.replayed) {
      const original = backlog.entries.get(records.find((r) => r.id === id)?.sourceId ?? '');
      const [entry] = (await redis.xrange(settings.streamName, newId, newId)) as [string, string[]][];
      expect(entry?.[1]).toEqual(original);
    }
    expect((await redis.xrange(settings.deadLetterStream, '-', '+')).map(([id]) => id)).toEqual([keep.id]);

    const purge = await runCli(['dlq', 'purge', '--all', '--yes'], env);
    expect(purge.code, purge.stderr).toBe(0);
    expect(await redis.xlen(settings.deadLetterStream)).toBe(0);
  });
});

describe('stats and GET /api/status', () => {
  let outdir: string | undefined;
  let app: FunctionsApp | undefined;
  const savedEnv = { ...process.env };
  afterAll(async () => {
    await app?.terminate();
    process.env = savedEnv;
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('report the group as XPENDING does', async () => {
    const env = proxyEnv(endpoint);
    const settings = settingsOf(env);
    await seedProxyBacklog(redis, settings, 100);
    const [pending] = (await redis.xpending(settings.streamName, settings.groupName)) as [number];

    const stats = await runCli(['stats', '--json'], env);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      stream: settings.streamName,
      group: settings.groupName,
      pending,
      deadLetters: 0,
    });

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
    Object.assign(process.env, env);
    app = await loadFunctionsApp(join(outdir, 'index.js'));
    const http = { method: 'GET', url: 'http://localhost:7071/api/status', headers: {}, query: {}, params: {} };
    const binding =
      Object.entries(app.functions.get('status')?.metadata.bindings ?? {}).find(
        ([, b]) => b.type === 'httpTrigger',
      )?.[0] ?? 'req';
    const response = (await app.invoke('status', [{ name: binding, data: { http } }])) as {
      status: number;
      jsonBody: Record<string, unknown>;
    };
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({ stream: settings.streamName, group: settings.groupName, pending });
  });
});

describe('STREAM_PATTERN over several untagged streams and groups', () => {
  it('finds the streams with SCAN on the one endpoint and settles every target in one run', async () => {
    const prefix = uniqueName('shop');
    const streams = [`${prefix}:orders`, `${prefix}:payments`, `${prefix}:refunds`];
    const groups = ['billing', 'audit'];
    const env = proxyEnv(endpoint, { STREAM_PATTERN: `${prefix}:*`, STREAM_CONSUMER_GROUP_NAME: '*' });
    delete env.STREAM_NAME;
    const seeded = await Promise.all(streams.map((s) => seedGroups(redis, s, groups, 150, 5)));

    const result = await runCli(['run', '--json'], env);

    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      complete: boolean;
      failed: number;
      targets: { stream: string; group: string }[];
    };
    expect(summary).toMatchObject({ complete: true, failed: 0 });
    expect(summary.targets.map((t) => `${t.stream}/${t.group}`).sort()).toEqual(
      streams.flatMap((s) => groups.map((g) => `${s}/${g}`)).sort(),
    );
    for (const [i, stream] of streams.entries()) {
      for (const group of groups) {
        const cfg = {
          streamName: stream,
          groupName: group,
          deadLetterStream: `${stream}:dlq`,
          hashKeyPrefix: `${stream}:`,
          hashKeyField: 'k',
        };
        const backlog = {
          ...(seeded[i] as Awaited<ReturnType<typeof seedGroups>>),
          siblings: groups.filter((g) => g !== group),
        };
        expect((await checkInvariant(redis, cfg, backlog, { final: true })).violations).toEqual([]);
      }
    }
  });
});

describe('acl --azure on the sharded endpoint', () => {
  it('prints a permission string under which a default untagged run (its probe included) settles everything', async () => {
    const env = proxyEnv(endpoint, { DEREGISTER_IDLE_SEC: '0.001' });
    const settings = settingsOf(env);
    const backlog = await seedProxyBacklog(redis, settings, 100);
    const printed = await runCli(['acl', '--azure'], env);
    expect(printed.code, printed.stderr).toBe(0);
    const permissions = printed.stdout.trim();
    expect(permissions).not.toMatch(/(^| )(on|reset|>\S*)( |$)/);
    // Azure adds the user and its sign-in; here a plain ACL user with the same words stands in.
    const user = uniqueName('reclaimer');
    await redis.call('ACL', 'SETUSER', user, 'reset', 'on', '>pw', ...permissions.split(' '));

    const result = await runCli(['run', '--json'], { ...env, REDIS_USERNAME: user, REDIS_PASSWORD: 'pw' });

    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ complete: true, failed: 0 });
    expect((await checkInvariant(redis, settings, backlog, { final: true })).violations).toEqual([]);
  });
});
