/**
 * dist/deploy.zip, the artifact azd deploys, as the platform gets it: unpacked into an empty folder
 * (nothing installed, no node_modules anywhere above it), loaded the way the Functions Node worker
 * does (package.json `main`, `@azure/functions-core` provided to require by the worker stand-in),
 * its timer invoked against a real redis-server, with APPLICATIONINSIGHTS_CONNECTION_STRING set as
 * the Bicep sets it (pointing at a local stand-in for the ingestion endpoint: no network here).
 * Those two are the only stand-ins. Plus what the zip must and must not hold. The zip is the one
 * `npm run package` wrote in this test run's global setup (test/helpers/global-build.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import Redis from 'ioredis';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provideAppSettings } from '../../src/local/functions-app';
import { CORE_MODULE, loadFunctionsApp, type FunctionsApp } from '../../src/local/worker-standin';
import type { Summary } from '../../src/reclaim/run';
import { addEntries, createGroup, pendingOf, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { startIngestion, type Ingestion } from '../helpers/ingestion';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

const repoPackage = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string };
/** Entry name → bytes, as the zip holds them. */
const entries = unzipSync(new Uint8Array(readZip()));
const text = (name: string): string => Buffer.from(entries[name] ?? new Uint8Array()).toString('utf8');

function readZip(): Buffer {
  if (!existsSync('dist/deploy.zip'))
    throw new Error(
      'dist/deploy.zip is missing; expected the global setup (test/helpers/global-build.ts) to run `npm run package`',
    );
  return readFileSync('dist/deploy.zip');
}

let root: string;
let server: RedisServer;
let redis: Redis;
let ingestion: Ingestion;
let app: FunctionsApp | undefined;

useRedis({}, (started) => ([server, redis] = [started, started.client()]));
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'deploy-zip-'));
  for (const [name, data] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), data);
  }
  ingestion = await startIngestion();
});
afterAll(async () => {
  await app?.terminate();
  redis?.disconnect();
  await ingestion?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the unpacked zip, run as the worker runs it', () => {
  it('has nothing to lean on outside it: no package resolves from the folder', () => {
    // If a node_modules above the temp folder could satisfy a require, the run below would prove nothing.
    expect(() => createRequire(join(root, 'package.json')).resolve('ioredis')).toThrow(/Cannot find module/);
  });

  it('registers the timer and reclaims a crashed consumer backlog, exporting its telemetry', async () => {
    const stream = uniqueName('stream');
    const group = uniqueName('group');
    const ids = await addEntries(
      redis,
      stream,
      Array.from({ length: 120 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 110, { idleMs: 600_000 });
    await readAsConsumer(redis, stream, group, 'poisoned', 10, { idleMs: 600_000, deliveries: 5 });
    provideAppSettings({
      REDIS_HOST: server.host,
      REDIS_TLS: 'false',
      STREAM_NAME: stream,
      STREAM_CONSUMER_GROUP_NAME: group,
      MAX_DELIVERIES: '5',
      APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
    });
    const main = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).main as string;
    app = await loadFunctionsApp(join(root, main));
    expect(app.functions.get('reclaim')?.metadata.bindings).toBeDefined();

    const summary = (await app.invokeTimer('reclaim')) as Summary;
    await app.terminate();
    app = undefined;

    expect(summary).toMatchObject({
      stream,
      group,
      scanned: 120,
      processed: 110,
      deadLettered: 10,
      failed: 0,
      complete: true,
    });
    expect(await pendingOf(redis, stream, group)).toEqual([]);
    expect(await redis.hgetall(`${stream}:${ids[0]}`)).toMatchObject({ user: 'u0', seq: '0' });
    expect(await redis.xlen(`${stream}:dlq`)).toBe(10);
    expect(await ingestion.received(`reclaim ${stream}`)).toBe(true);
    expect(ingestion.bodies.join('\n')).toContain('reclaimer.group.oldest_pending_idle');
  });
});

describe('what the zip holds', () => {
  it('exactly host.json, package.json, the bundle package.json `main` names and every chunk of the build', () => {
    const chunks = readdirSync('dist/chunks')
      .filter((f) => f.endsWith('.js'))
      .map((f) => `dist/chunks/${f}`);
    expect(chunks).toContain('dist/chunks/azure-monitor.js');
    expect(Object.keys(entries).sort()).toEqual([repoPackage.main, 'host.json', 'package.json', ...chunks].sort());
    for (const chunk of chunks) expect(Buffer.from(entries[chunk]!).equals(readFileSync(chunk)), chunk).toBe(true);
  });

  it('the bundle and host.json are those of this build; package.json keeps `main` and installs nothing', () => {
    expect(Buffer.from(entries[repoPackage.main]!).equals(readFileSync(repoPackage.main))).toBe(true);
    expect(text('host.json')).toBe(readFileSync('host.json', 'utf8'));
    const manifest = JSON.parse(text('package.json')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ main: repoPackage.main, type: 'commonjs' });
    for (const key of ['dependencies', 'devDependencies', 'scripts', 'bin'])
      expect(manifest, key).not.toHaveProperty(key);
  });

  it('no sources, tests, settings, maps or modules', () => {
    const forbidden =
      /(^|\/)(src|test|functions\/[^/]+\.ts|infra|node_modules|scripts)(\/|$)|local\.settings|\.env$|\.map$|\.ts$|\.lua$/;
    expect(Object.keys(entries).filter((name) => forbidden.test(name))).toEqual([]);
  });

  it('the bundle and its chunks require only Node built-ins, the module the worker provides and chunks the zip holds', () => {
    const names = [repoPackage.main, ...Object.keys(entries).filter((name) => name.startsWith('dist/chunks/'))];
    for (const name of names) {
      const required = [...new Set([...text(name).matchAll(/\b(?:require|import)\("([^"]+)"\)/g)].map((m) => m[1]!))];
      if (name === repoPackage.main) expect(required).toContain(CORE_MODULE);
      const chunks = required.filter((id) => id.startsWith('.'));
      for (const id of chunks)
        expect(entries[posix.join(posix.dirname(name), id)], `${name} requires ${id}`).toBeDefined();
      // `supports-color` is optional: `debug` requires it inside a try/catch and carries on without it.
      expect(
        required.filter(
          (id) => !isBuiltin(id) && id !== CORE_MODULE && id !== 'supports-color' && !chunks.includes(id),
        ),
        name,
      ).toEqual([]);
    }
  });

  it('.funcignore excludes nothing the zip holds (its patterns are anchored to the project root)', () => {
    const patterns = readFileSync('.funcignore', 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const matches = (pattern: string, name: string): boolean => {
      const glob = pattern
        .replace(/\/$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*');
      // Gitignore semantics: a leading `/` anchors to the root; otherwise any path segment matches.
      const re = glob.startsWith('/') ? new RegExp(`^${glob.slice(1)}(/|$)`) : new RegExp(`(^|/)${glob}(/|$)`);
      return re.test(name);
    };
    expect(patterns.length).toBeGreaterThan(5);
    expect(matches('functions', 'dist/functions/index.js')).toBe(true); // the defect this guards against
    expect(
      Object.keys(entries).flatMap((name) =>
        patterns.filter((p) => matches(p, name)).map((p) => `${p} excludes ${name}`),
      ),
    ).toEqual([]);
  });
});
