/**
 * The retry policy's cost (`npm run bench`, after the single-target section; `BENCH_RETRY=only`
 * runs only this, `BENCH_RETRY=0` skips it): one backlog size (`BENCH_RETRY_SIZE`, default
 * 100,000), reclaimed on the fast path by today's `process`, by `process` with backoff on (every
 * entry due, so the figure is the price of deciding), and by `requeue`; `requeue` on the general
 * path too. All in this one run, on one server, over loopback TCP, each the median of
 * repeated runs, each verified; printed as entries/s and CPU per entry with ratios to `process`.
 */
import type Redis from 'ioredis';
import { connect, type RedisClient } from '../src/redis/connection';
import { runReclaim } from '../src/reclaim/run';
import { loadSettings, type Settings } from '../src/config/settings';
import { startSampler } from './sampler';
import seedLua from './seed-backlog.lua';
import { GROUP } from './measure';

const SIZE = Number(process.env.BENCH_RETRY_SIZE ?? 100_000);
const REPEATS = SIZE <= 100_000 ? 5 : 1;

interface Case {
  label: string;
  env: Record<string, string>;
  fastPath: boolean;
}

const CASES: Case[] = [
  { label: 'process (fast path, today)', env: {}, fastPath: true },
  { label: 'process + backoff (fast path)', env: { RETRY_BACKOFF_MAX_SEC: '3600' }, fastPath: true },
  { label: 'requeue (fast path)', env: { RECLAIM_ACTION: 'requeue' }, fastPath: true },
  { label: 'requeue (general path)', env: { RECLAIM_ACTION: 'requeue' }, fastPath: false },
];

interface Figure {
  label: string;
  entriesPerSec: number;
  redisCpuUsPerEntry: number;
}

export async function benchRetry(redis: Redis, connection: Record<string, string>): Promise<Figure[]> {
  const figures: Figure[] = [];
  const clients: RedisClient[] = [];
  try {
    for (const c of CASES) {
      const settings = loadSettings({
        ...connection,
        STREAM_NAME: 'bench:retry',
        STREAM_CONSUMER_GROUP_NAME: GROUP,
        MAX_RUN_SEC: '3600',
        ...c.env,
      });
      const client = await connect(settings);
      clients.push(client);
      const runs: Figure[] = [];
      await once(redis, settings, client, c, 10_000); // warm-up, unrecorded
      for (let i = 0; i < REPEATS; i++) runs.push(await once(redis, settings, client, c, SIZE));
      const median = [...runs].sort((a, b) => a.entriesPerSec - b.entriesPerSec)[Math.floor(runs.length / 2)] as Figure;
      figures.push(median);
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
  const base = figures[0] as Figure;
  console.log(`\nretry policy, ${SIZE} entries (median of ${REPEATS}), same run, ratios to ${base.label}:`);
  for (const f of figures) {
    console.log(
      `  ${f.label.padEnd(30)} ${f.entriesPerSec.toFixed(0).padStart(8)} entries/s  x${(f.entriesPerSec / base.entriesPerSec).toFixed(2)}  ` +
        `redis CPU ${f.redisCpuUsPerEntry.toFixed(1)} µs/entry  cost/entry x${(base.entriesPerSec / f.entriesPerSec).toFixed(2)}`,
    );
  }
  return figures;
}

async function once(redis: Redis, settings: Settings, client: RedisClient, c: Case, size: number): Promise<Figure> {
  await redis.flushall();
  await redis.xgroup('CREATE', settings.streamName, GROUP, '0', 'MKSTREAM');
  for (let first = 0; first < size; first += 10_000) {
    await redis.eval(seedLua, 1, settings.streamName, GROUP, Math.min(10_000, size - first), first, 0, 0, 5, 600_000);
  }
  (globalThis as { gc?: () => void }).gc?.();
  const sampler = startSampler(redis);
  const cpuBefore = await redisCpu(redis);
  const started = performance.now();
  const summary = await runReclaim({ client, settings, fastPath: c.fastPath });
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await redisCpu(redis)) - cpuBefore;
  await sampler.stop();
  const requeue = settings.reclaimAction === 'requeue';
  const [pending] = (await redis.call('XPENDING', settings.streamName, GROUP)) as [number];
  const length = await redis.xlen(settings.streamName);
  const done = requeue ? summary.requeued : summary.processed;
  if (pending !== 0 || done !== size || length !== (requeue ? 2 * size : size)) {
    throw new Error(
      `${c.label}: verification failed: pending ${pending}, done ${done}/${size}, stream length ${length}`,
    );
  }
  return { label: c.label, entriesPerSec: size / seconds, redisCpuUsPerEntry: (cpu * 1e6) / size };
}

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}
