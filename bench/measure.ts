/**
 * One measured run of one variant: seed a backlog on the server, run, verify the outcome, and
 * record throughput, peak memory and the CPU both processes spent per entry.
 */
import type Redis from 'ioredis';
import type { Summary } from '../src/reclaim/run';
import type { Settings } from '../src/config/settings';
import { startSampler } from './sampler';
import seedLua from './seed-backlog.lua';

export const GROUP = 'bench-workers';
const MB = 1024 * 1024;

export interface Result {
  variant: 'baseline' | 'general' | 'fast';
  size: number;
  poison: boolean;
  /** How the variant reached the server: loopback TCP (as deployed) or a unix socket. */
  transport: 'tcp' | 'unix';
  seconds: number;
  entriesPerSec: number;
  peakRssMB: number;
  redisPeakMB: number;
  /** Server CPU (user + sys) per entry: the fast path's bound, steadier than wall time. */
  redisCpuUsPerEntry: number;
  /** This process's CPU per entry. */
  nodeCpuUsPerEntry: number;
  summary?: Summary;
  skipped?: string;
  /** How many measurements the reported median comes from. */
  repeats?: number;
}

export interface Variant {
  variant: Result['variant'];
  size: number;
  poison: boolean;
  transport: Result['transport'];
  run(): Promise<Summary | number>;
}

/** Short runs are repeated and the median reported: a one-second run is at the mercy of noise. */
export const repeatsFor = (size: number): number => (size <= 100_000 ? 5 : 1);

/** Median (by entries/s) of repeated measurements; peak memory is the largest seen. */
export async function measureMedian(redis: Redis, settings: Settings, v: Variant): Promise<Result> {
  const runs: Result[] = [];
  for (let i = 0; i < repeatsFor(v.size); i++) runs.push(await measure(redis, settings, v));
  const sorted = [...runs].sort((a, b) => a.entriesPerSec - b.entriesPerSec);
  const median = sorted[Math.floor(sorted.length / 2)] as Result;
  return {
    ...median,
    peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)),
    redisPeakMB: Math.max(...runs.map((r) => r.redisPeakMB)),
    repeats: runs.length,
  };
}

/**
 * One unrecorded run: the first runs of a fresh process (JIT, the server's allocator)
 * are slower than the rest and would skew the smallest backlog's figures.
 */
export async function warmUp(redis: Redis, settings: Settings, v: Variant): Promise<void> {
  await measure(redis, settings, v, true);
}

async function measure(redis: Redis, settings: Settings, v: Variant, quiet = false): Promise<Result> {
  const seeded = await seed(redis, settings.streamName, v.size, v.poison);
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 300));
  const sampler = startSampler(redis);
  const redisCpu = await redisCpuSeconds(redis);
  const nodeCpu = process.cpuUsage();
  const started = performance.now();
  const outcome = await v.run();
  const seconds = (performance.now() - started) / 1000;
  const node = process.cpuUsage(nodeCpu);
  const redisSpent = (await redisCpuSeconds(redis)) - redisCpu;
  const peaks = await sampler.stop();
  await verify(
    redis,
    settings,
    { processed: v.size - seeded.poisoned - seeded.deleted, deadLettered: seeded.poisoned },
    `${v.variant} ${v.size}`,
  );
  const result: Result = {
    variant: v.variant,
    size: v.size,
    poison: v.poison,
    transport: v.transport,
    seconds,
    entriesPerSec: v.size / seconds,
    peakRssMB: peaks.rssBytes / MB,
    redisPeakMB: peaks.redisBytes / MB,
    redisCpuUsPerEntry: (redisSpent * 1e6) / v.size,
    nodeCpuUsPerEntry: (node.user + node.system) / v.size,
    summary: typeof outcome === 'number' ? undefined : outcome,
  };
  if (quiet) return result;
  console.log(
    `${v.variant.padEnd(8)} ${String(v.size).padStart(8)} ${v.poison ? 'poison' : 'clean '} ${v.transport} ${result.entriesPerSec.toFixed(0).padStart(8)} entries/s ` +
      `${seconds.toFixed(2).padStart(7)} s  RSS ${result.peakRssMB.toFixed(0).padStart(5)} MB  Redis ${result.redisPeakMB.toFixed(0).padStart(5)} MB  ` +
      `CPU/entry redis ${result.redisCpuUsPerEntry.toFixed(1)} µs, node ${result.nodeCpuUsPerEntry.toFixed(1)} µs`,
  );
  return result;
}

async function seed(
  redis: Redis,
  stream: string,
  size: number,
  poison: boolean,
): Promise<{ poisoned: number; deleted: number }> {
  await redis.flushall();
  await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  let poisoned = 0;
  let deleted = 0;
  for (let first = 0; first < size; first += 10_000) {
    const count = Math.min(10_000, size - first);
    const [, p, d] = (await redis.eval(
      seedLua,
      1,
      stream,
      GROUP,
      count,
      first,
      poison ? 10 : 0,
      poison ? 100 : 0,
      5,
      600_000,
    )) as number[];
    poisoned += p ?? 0;
    deleted += d ?? 0;
  }
  return { poisoned, deleted };
}

async function verify(
  redis: Redis,
  s: Settings,
  expected: { processed: number; deadLettered: number },
  label: string,
): Promise<void> {
  const [pending] = (await redis.call('XPENDING', s.streamName, GROUP)) as [number];
  const dlq = await redis.exists(s.deadLetterStream);
  const hashes = (await redis.dbsize()) - 1 - dlq;
  const dead = dlq ? await redis.xlen(s.deadLetterStream) : 0;
  const sample = await redis.hgetall(
    `${s.hashKeyPrefix}${(await redis.xrange(s.streamName, '-', '+', 'COUNT', 1))[0]?.[0] ?? ''}`,
  );
  if (
    pending !== 0 ||
    hashes !== expected.processed ||
    dead !== expected.deadLettered ||
    (hashes > 0 && Object.keys(sample).length !== 6)
  ) {
    throw new Error(
      `${label}: verification failed: pending ${pending}, hashes ${hashes}/${expected.processed}, dead letters ${dead}/${expected.deadLettered}`,
    );
  }
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}
