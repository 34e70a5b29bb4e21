/**
 * Part of the cold-start section, with BENCH_COLD_START_BASE only: the fast path's throughput
 * through each build's own CLI (`stream-reclaimer run --json` on a fresh backlog of
 * BENCH_COLD_START_ENTRIES idle entries, default 100,000), the two builds in turn, medians of
 * three. The bundling that makes the start cheap (minified, chunks, zod's mini build) must not
 * slow the run down: this is the before/after figure from one run.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { median, seedStream } from './targets-check';

const ENTRIES = Number(process.env.BENCH_COLD_START_ENTRIES ?? 100_000);
const ROUNDS = 3;

export interface ThroughputRow {
  label: string;
  entriesPerSec: number;
}

function runOnce(root: string, env: Record<string, string>): number {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [join(root, 'bin', 'stream-reclaimer.js'), 'run', '--json'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 600_000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as { processed?: number };
  if (child.status !== 0 || summary.processed !== ENTRIES)
    throw new Error(`throughput: ${root} run exited ${child.status}, processed ${summary.processed}: ${child.stderr}`);
  return ENTRIES / seconds;
}

/** Each build's CLI on the same fresh backlog size, alternating; prints and returns the medians. */
export async function benchThroughput(
  redis: Redis,
  connection: Record<string, string>,
  roots: readonly [string, string][],
): Promise<ThroughputRow[]> {
  const samples = roots.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [root]] of roots.entries()) {
      const stream = `bench:cold-start:throughput:${process.pid}:${round}:${i}`;
      await seedStream(redis, stream, 'g', ENTRIES);
      samples[i]?.push(
        runOnce(root, { ...connection, STREAM_NAME: stream, STREAM_CONSUMER_GROUP_NAME: 'g', MIN_IDLE_TIME_SEC: '60' }),
      );
      await redis.flushall();
    }
  }
  const rows = roots.map(([, prefix], i) => ({
    label: `${prefix}fast path, ${ENTRIES.toLocaleString('en')} entries, whole CLI run`,
    entriesPerSec: median(samples[i] ?? [], (v) => v),
  }));
  console.log(`\nthroughput through each build's CLI (medians of ${ROUNDS}, builds alternating)`);
  for (const r of rows)
    console.log(`${r.label.padEnd(60)}${Math.round(r.entriesPerSec).toLocaleString('en').padStart(10)} entries/s`);
  const [now, base] = rows;
  if (now && base) console.log(`ratio this build / base: ${(now.entriesPerSec / base.entriesPerSec).toFixed(2)}`);
  return rows;
}
