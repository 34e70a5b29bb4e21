/**
 * The package as a user installs it: `npm pack` (its `prepack` builds the bundles and the
 * declarations) in a copy of this repository, so the build there cannot clear the dist/ the other
 * test files run; the tarball installed into an empty project (dependencies from the npm
 * registry, through a cache folder); the README's library example compiled there with TypeScript
 * `strict` and `module: nodenext` (declarations checked too: no skipLibCheck) and run against a
 * real redis-server; the installed `bin` run. Every step is bounded in time.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEntries, createGroup, readAsConsumer, uniqueName } from '../helpers/backlog';
import { cliEnv } from '../helpers/operator';
import { startRedis, type RedisServer } from '../helpers/redis-server';

const run = promisify(execFile);
const ROOT = resolve('.');
const NPM_CACHE = process.env.NPM_CONFIG_CACHE || join(homedir(), '.cache', 'stream-reclaimer', 'npm');
const ours = JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string> };

/** The first ```ts block of the README's "Using it as a library" section. */
function readmeExample(): string {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Using it as a library'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('README.md has no ```ts block under "## Using it as a library"');
  return code;
}

const npm = (args: string[], cwd: string, timeout: number) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--cache', NPM_CACHE], {
    cwd,
    timeout,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

let work: string;
let tarball: string;
let app: string;
let server: RedisServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'reclaimer-pack-'));
  const copy = join(work, 'repo');
  const skip = new Set(['node_modules', 'dist', '.git'].map((d) => join(ROOT, d)));
  cpSync(ROOT, copy, { recursive: true, filter: (src) => !skip.has(src) });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  await npm(['pack', '--pack-destination', work], copy, 240_000);
  const packed = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  expect(packed).toHaveLength(1);
  tarball = join(work, packed[0] as string);

  app = join(work, 'app');
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'embedding-app', private: true, type: 'module' }));
  const compilerOptions = {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    types: ['node'],
    outDir: 'dist',
    rootDir: 'src',
  };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
  const dev = ['typescript', '@types/node'].map((name) => `${name}@${ours.devDependencies[name]}`);
  await npm(['install', tarball, ...dev], app, 300_000);
  server = await startRedis();
}, 600_000);

/** Runs a program of the embedding app with only PATH and the settings of one target on the test server. */
const runInApp = (file: string, args: string[], stream: string, group: string) =>
  run(file, args, {
    cwd: app,
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', REDIS_TLS: 'false', ...cliEnv(server, stream, group) },
  });

// Removing the installed node_modules takes a while on a busy machine.
afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 180_000);

describe('the packed package', () => {
  it('holds the bundles, their lazily loaded chunks, the declarations, the bin and the server fetcher, and no sources, tests, bench or maps', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'bin/stream-reclaimer.js',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/cli/index.js',
        'dist/functions/index.js',
        // What only some settings load (App Insights, Entra, OTLP, the progress bar).
        'dist/chunks/azure-monitor.js',
        'dist/chunks/azure-identity.js',
        'dist/chunks/otlp-sdk.js',
        'dist/chunks/cli-progress.js',
        'scripts/install-servers.sh',
      ]),
    );
    const unwanted = files.filter((f) =>
      /^(src|test|bench|infra|functions)\/|^scripts\/(?!install-servers\.sh$)|\.map$|\.ts$(?<!\.d\.ts)|local\.settings/.test(
        f,
      ),
    );
    expect(unwanted).toEqual([]);
    expect(files.filter((f) => f.endsWith('.d.ts')).length).toBeGreaterThan(10);
  });

  it("compiles the README's library example under strict + nodenext, and runs it against a real server", async () => {
    writeFileSync(join(app, 'src', 'main.ts'), readmeExample());
    await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
      cwd: app,
      timeout: 240_000,
    }).catch((e: Error & { stdout?: string }) => {
      throw new Error(`tsc failed:\n${e.stdout || e.message}`);
    });

    const stream = uniqueName('stream');
    const group = uniqueName('group');
    const redis = server.client();
    await addEntries(
      redis,
      stream,
      Array.from({ length: 10 }, (_, i) => ['body', i % 5 === 0 ? '' : `order ${i}`]),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 10, { idleMs: 600_000 });

    const { stdout } = await runInApp(process.execPath, ['dist/main.js'], stream, group);
    const lines = stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith(`${stream}/${group} `))).toHaveLength(8);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({
      stream,
      group,
      processed: 8,
      deadLettered: 2,
      failed: 0,
      complete: true,
      stopReason: 'covered',
    });
    expect(await redis.xlen(`${stream}:dlq`)).toBe(2);
    expect(await redis.xpending(stream, group)).toEqual([0, null, null, null]);
  }, 300_000);

  it('installs a working bin: --version, and the demo (which loads the packed Functions app)', async () => {
    const bin = join(app, 'node_modules', '.bin', 'stream-reclaimer');
    const { stdout } = await run(bin, ['--version'], { cwd: app, timeout: 30_000 });
    expect(stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(basename(tarball)).toMatch(/^stream-reclaimer-\d+\.\d+\.\d+\.tgz$/);
    const demo = await run(bin, ['demo'], { cwd: app, timeout: 120_000 });
    expect(demo.stdout).toMatch(/\[function reclaim information\] \{"stream":"orders,payments"/);
    expect(demo.stdout).toContain('nothing is left running');
  }, 300_000);

  it('runs from the installed package with OTLP export on: its chunk loads and the run reaches the collector', async () => {
    const paths: string[] = [];
    const collector = createServer((req, res) => {
      paths.push(req.url ?? '');
      req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((listening) => collector.listen(0, '127.0.0.1', listening));
    try {
      const stream = uniqueName('stream');
      const group = uniqueName('group');
      const redis = server.client();
      await addEntries(redis, stream, [['body', 'a']]);
      await createGroup(redis, stream, group);
      await readAsConsumer(redis, stream, group, 'crashed', 1, { idleMs: 600_000 });
      const { port } = collector.address() as AddressInfo;
      const bin = join(app, 'node_modules', '.bin', 'stream-reclaimer');
      const { stdout } = await runInApp(bin, ['run', '--json', '--otlp', `http://127.0.0.1:${port}`], stream, group);
      expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toMatchObject({ processed: 1, failed: 0 });
      expect(paths).toEqual(expect.arrayContaining(['/v1/traces', '/v1/metrics']));
    } finally {
      collector.closeAllConnections();
      await new Promise((closed) => collector.close(closed));
    }
  }, 120_000);
});
