/**
 * The lazy-loading contract of the build (scripts/build.mjs): each process below is a fresh Node
 * running the BUILT files, and reports, as it exits, every file it loaded (`require.cache`, which
 * lists each module file read; built-ins are not files). What only some settings use is a chunk
 * under dist/chunks/, so a chunk in that list means the process paid for it:
 * - the Functions bundle with telemetry off reads no chunk; with App Insights the Azure Monitor
 *   chunk only, plus @azure/identity when ingestion authenticates with Entra ID;
 * - `--version` reads neither the CLI bundle nor any chunk; `--help` and a `run` without a
 *   terminal or `--otlp` read the bundle and no chunk; `run --otlp` reads the OTLP chunk.
 * Inside a bundle, what runs is seen by the Node built-ins the process loaded
 * (`process.moduleLoadList`): ioredis requires `tls` as it loads, so a process without `tls` ran
 * no Redis client code. Loading the Functions app, `--help` and a usage error run none; a command
 * that runs does (the control).
 * The Functions worker is stood in by patching `require('@azure/functions-core')`, as the worker
 * does; no telemetry leaves the machine (loopback endpoints, and the process exits at once).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, uniqueName } from '../helpers/backlog';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server';

const ROOT = resolve('.');
const MAIN = resolve(JSON.parse(readFileSync('package.json', 'utf8')).main as string);
const CHUNKS = ['azure-identity', 'azure-monitor', 'cli-progress', 'otlp-sdk'].map((c) => `dist/chunks/${c}.js`);

let dir: string;
let preload: string;
let builtinsPreload: string;
let loadApp: string;
let server: RedisServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cold-start-'));
  preload = join(dir, 'report-loaded.cjs');
  writeFileSync(
    preload,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_OUT, JSON.stringify(Object.keys(require.cache))));\n",
  );
  builtinsPreload = join(dir, 'report-builtins.cjs');
  writeFileSync(
    builtinsPreload,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_OUT, JSON.stringify(process.moduleLoadList)));\n",
  );
  loadApp = join(dir, 'load-app.cjs');
  writeFileSync(
    loadApp,
    [
      "const Module = require('node:module');",
      'const core = { registerHook: () => ({ dispose() {} }), registerFunction: () => ({ dispose() {} }), setProgrammingModel() {}, getProgrammingModel() {}, log() {} };',
      'const original = Module.prototype.require;',
      "Module.prototype.require = function (id) { return id === '@azure/functions-core' ? core : original.call(this, id); };",
      'require(process.argv[2]);',
      // Azure Monitor keeps export timers armed: leave at once, before anything is sent.
      'process.exit(0);',
    ].join('\n'),
  );
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `node -r <reporter> <args>` in the project with exactly `env` (plus PATH); what the
 * reporter wrote as the process exited. `exitZero`: the process must succeed.
 */
function reported(reporter: string, args: string[], env: Record<string, string>, exitZero: boolean): string[] {
  const out = join(dir, `${uniqueName('reported')}.json`);
  const child = spawnSync(process.execPath, ['-r', reporter, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOADED_OUT: out, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (exitZero && child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as string[];
}
/** The project files `node <args>` loaded. */
const loaded = (args: string[], env: Record<string, string> = {}): string[] =>
  reported(preload, args, env, true)
    .filter((f) => f.startsWith(ROOT))
    .map((f) => relative(ROOT, f));
/** Whether `node <args>` ran the Redis client's code: Node's `tls` among the built-ins it loaded. */
const ranRedisClient = (args: string[]): boolean =>
  reported(builtinsPreload, args, {}, false).includes('NativeModule tls');
const chunksIn = (files: readonly string[]): string[] => files.filter((f) => f.startsWith('dist/chunks/')).sort();

describe('the Functions bundle', () => {
  it('with telemetry off loads no chunk', () => {
    const files = loaded([loadApp, MAIN]);
    expect(files).toContain(relative(ROOT, MAIN));
    expect(chunksIn(files)).toEqual([]);
  });

  it('loading it runs no Redis client code: the handlers are imported at their first invocation', () => {
    expect(ranRedisClient([loadApp, MAIN])).toBe(false);
  });

  it('with App Insights loads the Azure Monitor chunk, and @azure/identity only for Entra ID ingestion', async () => {
    const connection = `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${await freePort()}/`;
    expect(chunksIn(loaded([loadApp, MAIN], { APPLICATIONINSIGHTS_CONNECTION_STRING: connection }))).toEqual([
      'dist/chunks/azure-monitor.js',
    ]);
    const entra = {
      APPLICATIONINSIGHTS_CONNECTION_STRING: connection,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
    };
    expect(chunksIn(loaded([loadApp, MAIN], entra))).toEqual([
      'dist/chunks/azure-identity.js',
      'dist/chunks/azure-monitor.js',
    ]);
  });

  it('with App Insights starts the distro without a complaint (its chunk finds its own files)', async () => {
    // The distro's ES module build reads its directory from `import.meta.url`, which CommonJS
    // output leaves empty: it then logs "Failed to load JSON config file values".
    const connection = `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${await freePort()}/`;
    const child = spawnSync(process.execPath, [loadApp, MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', APPLICATIONINSIGHTS_CONNECTION_STRING: connection },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.status).toBe(0);
    expect(`${child.stdout}${child.stderr}`).toBe('');
  });
});

describe('the CLI', () => {
  it('--version reads package.json only: not the CLI bundle (commander, ioredis, zod, telemetry), no chunk', () => {
    for (const flag of ['--version', '-v']) {
      expect(loaded(['bin/stream-reclaimer.js', flag]).sort()).toEqual(['bin/stream-reclaimer.js', 'package.json']);
    }
    const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string;
    expect(execFileSync(process.execPath, ['bin/stream-reclaimer.js', '--version'], { encoding: 'utf8' })).toBe(
      `${version}\n`,
    );
  });

  it('--help reads the bundle and no chunk', () => {
    const files = loaded(['bin/stream-reclaimer.js', '--help']);
    expect(files).toContain('dist/cli/index.js');
    expect(chunksIn(files)).toEqual([]);
  });

  it('--help and a usage error run no Redis client code; a command that runs does (the control)', () => {
    for (const args of [['--help'], ['run', '--help'], ['dlq', 'list', '--help'], ['run', '--no-such-flag']])
      expect({ args, ran: ranRedisClient(['bin/stream-reclaimer.js', ...args]) }).toEqual({ args, ran: false });
    // Without settings `run` stops at their check (exit 2), after its work was imported.
    expect(ranRedisClient(['bin/stream-reclaimer.js', 'run'])).toBe(true);
  });

  it('run on an empty pending list without a terminal reads no chunk; with --otlp the OTLP chunk only', async () => {
    const stream = uniqueName('stream');
    const group = uniqueName('group');
    const redis = server.client();
    try {
      await createGroup(redis, stream, group);
    } finally {
      redis.disconnect();
    }
    const env = { REDIS_HOST: server.host, REDIS_TLS: 'false', STREAM_NAME: stream, STREAM_CONSUMER_GROUP_NAME: group };
    expect(chunksIn(loaded(['bin/stream-reclaimer.js', 'run'], env))).toEqual([]);
    // A closed loopback port: the export fails (a warning), the run does not.
    const otlp = `http://127.0.0.1:${await freePort()}`;
    expect(chunksIn(loaded(['bin/stream-reclaimer.js', 'run', '--otlp', otlp], env))).toEqual([
      'dist/chunks/otlp-sdk.js',
    ]);
  });

  it('the chunks expose their exports by name, as the code reads them', () => {
    // otel.ts `await import()`s its chunk: Node's ESM loader must find the names in the CommonJS
    // file. The package chunks are `require`d (entra.ts, functions/telemetry.ts).
    const names = (chunk: string, how: 'import' | 'require'): string[] => {
      const file = JSON.stringify(resolve(chunk));
      const code =
        how === 'import'
          ? `import(${file}).then((m) => console.log(JSON.stringify(Object.keys(m))))`
          : `console.log(JSON.stringify(Object.keys(require(${file}))))`;
      return JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' })) as string[];
    };
    expect(names('dist/chunks/otlp-sdk.js', 'import')).toEqual(
      expect.arrayContaining(['OTLPTraceExporter', 'MeterProvider', 'AsyncLocalStorageContextManager']),
    );
    expect(names('dist/chunks/azure-identity.js', 'require')).toEqual(
      expect.arrayContaining(['ManagedIdentityCredential', 'DefaultAzureCredential']),
    );
    expect(names('dist/chunks/azure-monitor.js', 'require')).toEqual(
      expect.arrayContaining(['useAzureMonitor', 'shutdownAzureMonitor']),
    );
    expect(names('dist/chunks/cli-progress.js', 'require')).toContain('MultiBar');
  });

  it('every chunk the contract names is built', () => {
    for (const chunk of CHUNKS) expect(() => readFileSync(chunk), chunk).not.toThrow();
  });
});
