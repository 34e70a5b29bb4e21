/**
 * The cold-start section of `npm run bench`: whole fresh processes, each case measured in turn
 * with a bare `node -e 0` in the same loop, so every figure has its ratio to Node's own start
 * taken under the same machine load. Medians of BENCH_COLD_START_RUNS (default 11, at least 9).
 * - the Functions bundle (package.json `main`) loaded as the worker loads it
 *   (bench/cold-start-load.cjs), telemetry off and with App Insights on (a dummy connection string
 *   naming a closed loopback port; the process exits right after the load, so nothing is sent):
 *   whole process, the `require` alone, peak RSS after the load;
 * - `stream-reclaimer --version`, and `run` on an empty pending list (a throwaway redis-server);
 * - the bundle's size, and its chunks' (read only when the settings use them).
 * BENCH_COLD_START_BASE=<another built checkout> measures that build's cases in the same loop
 * (before/after figures from one run).
 * BENCH_COLD_START_ENV: `clean` (default) starts every process, the bare one too, with PATH and the
 * case's own settings only, as a deployed app starts; `inherit` gives them this shell's whole
 * environment. The two differ by whatever Node reads at start: NODE_EXTRA_CA_CERTS, set on some
 * machines, parses a certificate bundle in every process (about 60 ms here), which the bare
 * `node -e 0` pays too.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { freePort, startDemoRedis } from '../src/local/redis-server';
import { benchThroughput, type ThroughputRow } from './cold-start-throughput';
import { median as medianBy } from './targets-check';

const median = (values: readonly number[]): number => medianBy(values, (v) => v);

const RUNS = Math.max(9, Number(process.env.BENCH_COLD_START_RUNS ?? 11));
const ENV_MODE = process.env.BENCH_COLD_START_ENV ?? 'clean';
if (ENV_MODE !== 'clean' && ENV_MODE !== 'inherit')
  throw new Error(`BENCH_COLD_START_ENV is "${ENV_MODE}"; expected clean (the default) or inherit`);
const baseEnv = (): NodeJS.ProcessEnv => (ENV_MODE === 'inherit' ? process.env : { PATH: process.env.PATH ?? '' });
const LOADER = join(__dirname, '..', '..', 'bench', 'cold-start-load.cjs');

interface Case {
  label: string;
  args: string[];
  env?: Record<string, string>;
  /** Prints the loader's JSON line (load time, peak RSS). */
  reportsLoad?: boolean;
}
interface Sample {
  wallMs: number;
  loadMs?: number;
  peakRssKB?: number;
}
export interface ColdStartRow {
  label: string;
  wallMs: number;
  ratio: number;
  loadMs?: number;
  peakMB?: number;
}

function runOnce(c: Case): Sample {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, c.args, {
    env: { ...baseEnv(), ...c.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0)
    throw new Error(`cold start: \`node ${c.args.join(' ')}\` exited ${child.status ?? child.signal}: ${child.stderr}`);
  if (!c.reportsLoad) return { wallMs };
  const report = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as { loadMs: number; peakRssKB: number };
  return { wallMs, loadMs: report.loadMs, peakRssKB: report.peakRssKB };
}

function casesFor(root: string, prefix: string, runEnv: Record<string, string>, connectionString: string): Case[] {
  const main = join(root, (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string }).main);
  const bin = join(root, 'bin', 'stream-reclaimer.js');
  return [
    { label: `${prefix}functions bundle, telemetry off`, args: [LOADER, main], reportsLoad: true },
    {
      label: `${prefix}functions bundle, App Insights on`,
      args: [LOADER, main],
      env: { APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString },
      reportsLoad: true,
    },
    { label: `${prefix}stream-reclaimer --version`, args: [bin, '--version'] },
    { label: `${prefix}stream-reclaimer run, empty PEL`, args: [bin, 'run'], env: runEnv },
  ];
}

const bytes = (file: string): number => statSync(file).size;
const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);

/** Runs the section, prints its table, writes bench/results/cold-start.json; returns the rows. */
export async function benchColdStart(redisServerBin: string, resultsDir: string): Promise<ColdStartRow[]> {
  const roots: [string, string][] = [[resolve(join(__dirname, '..', '..')), '']];
  if (process.env.BENCH_COLD_START_BASE) roots.push([resolve(process.env.BENCH_COLD_START_BASE), 'base: ']);
  const server = await startDemoRedis(redisServerBin, { port: await freePort() });
  const redis = new Redis({ path: server.socket });
  try {
    const stream = `bench:cold-start:${process.pid}`;
    await redis.xgroup('CREATE', stream, 'cold-start', '$', 'MKSTREAM');
    const runEnv = {
      REDIS_HOST: `127.0.0.1:${server.port}`,
      REDIS_TLS: 'false',
      STREAM_NAME: stream,
      STREAM_CONSUMER_GROUP_NAME: 'cold-start',
    };
    const connectionString = `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${await freePort()}/`;
    const bare: Case = { label: 'bare node -e 0', args: ['-e', '0'] };
    const cases = [bare, ...roots.flatMap(([root, prefix]) => casesFor(root, prefix, runEnv, connectionString))];
    const samples = cases.map((): Sample[] => []);
    // Round-robin: each case is measured right after the bare node of the same round.
    for (let round = 0; round < RUNS; round++) cases.forEach((c, i) => samples[i]?.push(runOnce(c)));
    const bareRss = runBareRss();
    const bareMs = median(samples[0]?.map((s) => s.wallMs) ?? []);
    const rows: ColdStartRow[] = cases.map((c, i) => {
      const own = samples[i] ?? [];
      const wallMs = median(own.map((s) => s.wallMs));
      const loads = own.flatMap((s) => (s.loadMs === undefined ? [] : [s.loadMs]));
      const peaks = own.flatMap((s) => (s.peakRssKB === undefined ? [] : [s.peakRssKB]));
      return {
        label: c.label,
        wallMs,
        ratio: wallMs / bareMs,
        ...(loads.length ? { loadMs: median(loads) } : {}),
        ...(peaks.length ? { peakMB: median(peaks) / 1024 } : c === bare ? { peakMB: bareRss / 1024 } : {}),
      };
    });
    print(rows, roots);
    const connection = { REDIS_HOST: runEnv.REDIS_HOST, REDIS_TLS: 'false' };
    const throughput: ThroughputRow[] = roots.length > 1 ? await benchThroughput(redis, connection, roots) : [];
    writeFileSync(
      join(resultsDir, 'cold-start.json'),
      `${JSON.stringify({ node: process.version, runs: RUNS, environment: ENV_MODE, rows, throughput }, null, 2)}\n`,
    );
    return rows;
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

/** Peak RSS of a bare Node, the reference for the bundle's (median of 5). */
function runBareRss(): number {
  const peaks = Array.from({ length: 5 }, () =>
    Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))'], {
        env: baseEnv(),
        encoding: 'utf8',
      }).stdout,
    ),
  );
  return median(peaks);
}

function print(rows: readonly ColdStartRow[], roots: readonly [string, string][]): void {
  console.log(
    `\ncold start: whole processes, medians of ${RUNS}, each round alternating with a bare \`node -e 0\` (${process.version}; ${ENV_MODE === 'clean' ? 'clean environment: PATH and the settings only' : "this shell's environment"})`,
  );
  console.log(
    `${'case'.padEnd(46)}${'whole ms'.padStart(10)}${'x bare'.padStart(9)}${'load ms'.padStart(10)}${'peak MB'.padStart(10)}`,
  );
  for (const r of rows) {
    const load = r.loadMs === undefined ? '-' : r.loadMs.toFixed(0);
    const peak = r.peakMB === undefined ? '-' : r.peakMB.toFixed(0);
    console.log(
      `${r.label.padEnd(46)}${r.wallMs.toFixed(0).padStart(10)}${`${r.ratio.toFixed(2)}x`.padStart(9)}${load.padStart(10)}${peak.padStart(10)}`,
    );
  }
  for (const [root, prefix] of roots) {
    const main = join(root, (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string }).main);
    let chunks: string[] = [];
    try {
      chunks = readdirSync(join(root, 'dist', 'chunks')).filter((f) => f.endsWith('.js'));
    } catch {
      // A build from before the chunks: the bundle holds everything.
    }
    const chunkBytes = chunks.reduce((sum, f) => sum + bytes(join(root, 'dist', 'chunks', f)), 0);
    console.log(
      `${prefix}bundle ${mb(bytes(main))} MB; chunks read only when the settings use them: ${chunks.length ? `${mb(chunkBytes)} MB (${chunks.join(', ')})` : 'none'}`,
    );
  }
}
