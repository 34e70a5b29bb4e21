/**
 * `npm run bench`: backlogs of 10k, 100k and 1M tweet-like entries on a throwaway redis-server,
 * reclaimed in this one process by (a) a baseline of the reference design, (b) the general
 * path, (c) the fast path; plus the dead-letter path (10% poison, 1% deleted) and the function
 * handler's per-invocation overhead. Every run is verified. Prints entries/s, peak RSS and Redis
 * memory with ratios to the baseline; writes bench/results/results.json and chart.svg.
 * `BENCH_SIZES=10000,100000` picks other sizes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { connect } from '../src/connection';
import { findRedisServer, startDemoRedis } from '../src/demo/redis-server';
import { runReclaim, type Summary } from '../src/run';
import { loadSettings, type Settings } from '../src/settings';
import { baselineRun } from './baseline';
import { chartOf } from './chart';
import { measureHandler } from './handler';
import { startSampler, type Peaks } from './sampler';
import seedLua from './seed-backlog.lua';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const GROUP = 'bench-workers';
/** The baseline is skipped where its projected memory or time passes these bounds. */
const BASELINE_MAX_RSS = 2 * 1024 ** 3;
const BASELINE_MAX_SECONDS = 300;
const MB = 1024 * 1024;
/** Short runs are repeated and the median reported: a one-second run is at the mercy of noise. */
const repeatsFor = (size: number): number => (size <= 100_000 ? 3 : 1);

export interface Result {
  variant: 'baseline' | 'general' | 'fast';
  size: number;
  poison: boolean;
  seconds: number;
  entriesPerSec: number;
  peakRssMB: number;
  redisPeakMB: number;
  summary?: Summary;
  skipped?: string;
  /** How many measurements the reported median comes from. */
  repeats?: number;
}

async function seed(redis: Redis, stream: string, size: number, poison: boolean): Promise<{ poisoned: number; deleted: number }> {
  await redis.flushall();
  await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  let poisoned = 0;
  let deleted = 0;
  for (let first = 0; first < size; first += 10_000) {
    const count = Math.min(10_000, size - first);
    const [, p, d] = (await redis.eval(seedLua, 1, stream, GROUP, count, first, poison ? 10 : 0, poison ? 100 : 0, 5, 600_000)) as number[];
    poisoned += p ?? 0;
    deleted += d ?? 0;
  }
  return { poisoned, deleted };
}

async function settle(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 300));
}

async function verify(redis: Redis, s: Settings, expected: { processed: number; deadLettered: number }, label: string): Promise<void> {
  const [pending] = (await redis.call('XPENDING', s.streamName, GROUP)) as [number];
  const dlq = await redis.exists(s.deadLetterStream);
  const hashes = (await redis.dbsize()) - 1 - dlq;
  const dead = dlq ? await redis.xlen(s.deadLetterStream) : 0;
  const sample = await redis.hgetall(`${s.hashKeyPrefix}${(await redis.xrange(s.streamName, '-', '+', 'COUNT', 1))[0]?.[0] ?? ''}`);
  if (pending !== 0 || hashes !== expected.processed || dead !== expected.deadLettered || (hashes > 0 && Object.keys(sample).length !== 6)) {
    throw new Error(`${label}: verification failed: pending ${pending}, hashes ${hashes}/${expected.processed}, dead letters ${dead}/${expected.deadLettered}`);
  }
}

/** Median (by entries/s) of repeated measurements; peak memory is the largest seen. */
async function measureMedian(...args: Parameters<typeof measure>): Promise<Result> {
  const runs: Result[] = [];
  for (let i = 0; i < repeatsFor(args[2]); i++) runs.push(await measure(...args));
  const sorted = [...runs].sort((a, b) => a.entriesPerSec - b.entriesPerSec);
  const median = sorted[Math.floor(sorted.length / 2)] as Result;
  return { ...median, peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)), redisPeakMB: Math.max(...runs.map((r) => r.redisPeakMB)), repeats: runs.length };
}

async function measure(
  redis: Redis,
  variant: Result['variant'],
  size: number,
  poison: boolean,
  settings: Settings,
  run: () => Promise<Summary | number>,
): Promise<Result> {
  const seeded = await seed(redis, settings.streamName, size, poison);
  await settle();
  const sampler = startSampler(redis);
  const started = performance.now();
  const outcome = await run();
  const seconds = (performance.now() - started) / 1000;
  const peaks: Peaks = await sampler.stop();
  await verify(redis, settings, { processed: size - seeded.poisoned - seeded.deleted, deadLettered: seeded.poisoned }, `${variant} ${size}`);
  const result: Result = {
    variant,
    size,
    poison,
    seconds,
    entriesPerSec: size / seconds,
    peakRssMB: peaks.rssBytes / MB,
    redisPeakMB: peaks.redisBytes / MB,
    summary: typeof outcome === 'number' ? undefined : outcome,
  };
  console.log(
    `${variant.padEnd(8)} ${String(size).padStart(8)} ${poison ? 'poison' : 'clean '} ${result.entriesPerSec.toFixed(0).padStart(8)} entries/s ` +
      `${seconds.toFixed(2).padStart(7)} s  RSS ${result.peakRssMB.toFixed(0).padStart(5)} MB  Redis ${result.redisPeakMB.toFixed(0).padStart(5)} MB`,
  );
  return result;
}

async function main(): Promise<void> {
  const bin = findRedisServer(process.env.PATH);
  if (!bin) throw new Error('no redis-server on PATH (apt-get install -y redis-server)');
  const server = await startDemoRedis(bin);
  const redis = new Redis({ path: server.socket });
  const settings = loadSettings({
    REDIS_HOST: server.socket,
    STREAM_NAME: 'bench:tweets',
    STREAM_CONSUMER_GROUP_NAME: GROUP,
    MAX_RUN_SEC: '3600',
  });
  const client = await connect(settings);
  const results: Result[] = [];
  try {
    console.log(`node ${process.version}, redis-server ${(await redis.info('server')).match(/redis_version:(\S+)/)?.[1]}, sizes ${SIZES.join(', ')}`);
    // The product's variants first: the baseline's heap growth would otherwise inflate their RSS.
    for (const size of SIZES) {
      for (const poison of [false, true]) {
        results.push(await measureMedian(redis, 'fast', size, poison, settings, () => runReclaim({ client, settings })));
        results.push(await measureMedian(redis, 'general', size, poison, settings, () => runReclaim({ client, settings, fastPath: false })));
      }
    }
    const baselineArgs = { stream: settings.streamName, group: GROUP, consumer: settings.consumerName, minIdleMs: settings.minIdleMs, prefix: settings.hashKeyPrefix };
    for (const size of SIZES) {
      const previous = results.filter((r) => r.variant === 'baseline' && !r.skipped).at(-1);
      const scale = previous ? size / previous.size : 1;
      if (previous && (previous.peakRssMB * MB * scale > BASELINE_MAX_RSS || previous.seconds * scale > BASELINE_MAX_SECONDS)) {
        const skipped = `skipped: projected ${(previous.peakRssMB * scale).toFixed(0)} MB / ${(previous.seconds * scale).toFixed(0)} s from ${previous.size} entries exceeds the ${BASELINE_MAX_RSS / MB} MB / ${BASELINE_MAX_SECONDS} s bound`;
        console.log(`baseline ${String(size).padStart(8)} clean  ${skipped}`);
        results.push({ variant: 'baseline', size, poison: false, seconds: 0, entriesPerSec: 0, peakRssMB: 0, redisPeakMB: 0, skipped });
        continue;
      }
      results.push(await measureMedian(redis, 'baseline', size, false, settings, () => baselineRun(redis, baselineArgs)));
    }
    await redis.flushall();
    const handler = await measureHandler(server.socket, redis);
    report(results, handler);
  } finally {
    client.disconnect();
    redis.disconnect();
    await server.stop();
  }
}

function report(results: Result[], handler: Awaited<ReturnType<typeof measureHandler>>): void {
  const find = (variant: Result['variant'], size: number, poison = false) =>
    results.find((r) => r.variant === variant && r.size === size && r.poison === poison && !r.skipped);
  console.log('\nratios (entries/s against the baseline at the same size; clean backlogs):');
  const ratios: Record<string, unknown>[] = [];
  for (const size of SIZES) {
    const base = find('baseline', size);
    const fast = find('fast', size);
    const general = find('general', size);
    const fastPoison = find('fast', size, true);
    const row = {
      size,
      fastVsBaseline: base && fast ? fast.entriesPerSec / base.entriesPerSec : null,
      generalVsBaseline: base && general ? general.entriesPerSec / base.entriesPerSec : null,
      fastPoisonVsClean: fast && fastPoison ? fastPoison.entriesPerSec / fast.entriesPerSec : null,
      fastRssVsBaseline: base && fast ? fast.peakRssMB / base.peakRssMB : null,
    };
    ratios.push(row);
    const f = (x: number | null) => (x === null ? '   n/a' : `${x.toFixed(2)}x`);
    console.log(`  ${String(size).padStart(8)}: fast ${f(row.fastVsBaseline)}, general ${f(row.generalVsBaseline)}, fast with 10% poison vs clean ${f(row.fastPoisonVsClean)}, fast RSS vs baseline ${f(row.fastRssVsBaseline)}`);
  }
  const [small, large] = [find('fast', 100_000), find('fast', 1_000_000)];
  if (small && large) {
    console.log(`fast path 1M vs 100k: throughput ${(large.entriesPerSec / small.entriesPerSec).toFixed(2)}x, peak RSS ${(large.peakRssMB / small.peakRssMB).toFixed(2)}x (${large.peakRssMB.toFixed(0)} MB)`);
  }
  console.log(`function handler: first invocation ${handler.firstMs.toFixed(1)} ms, then median ${handler.medianMs.toFixed(2)} ms, p95 ${handler.p95Ms.toFixed(2)} ms over ${handler.invocations} invocations (empty group)`);
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ node: process.version, date: new Date().toISOString(), results, ratios, handler }, null, 2) + '\n');
  writeFileSync(join(dir, 'chart.svg'), chartOf(results) + '\n');
  console.log(`\nwrote ${join(dir, 'results.json')} and chart.svg`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
