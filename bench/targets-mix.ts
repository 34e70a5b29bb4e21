/**
 * One huge target beside many small ones on a single server: one runTargets call whose
 * MAX_RUN_SEC covers only part of the huge backlog. Do the small targets all complete in that
 * first run? How far does the huge one get, and how much is left after a second run?
 */
import type Redis from 'ioredis';
import { runTargets, type RunSummary } from '../src/reclaim/run-targets';
import type { Summary } from '../src/reclaim/run';
import { loadSettings, type Settings } from '../src/config/settings';
import { connect } from '../src/redis/connection';
import type { DemoRedis } from '../src/local/redis-server';
import { seedStream, settle, verifyHashCount, verifyStream, type AnyClient } from './targets-check';

const GROUP = 'bench-workers';
export const BIG = 1_000_000;
const SMALL_TARGETS = 50;
const SMALL = 200;
/** The probe that measures one target's rate, from which the budget is picked. */
const PROBE = 100_000;
/** The share of the huge backlog one run's budget should cover at the single-target rate. */
const BUDGET_SHARE = 0.4;

export interface MixRun {
  run: number;
  seconds: number;
  smallComplete: number;
  bigProcessed: number;
  /** Still pending in the huge target's PEL after this run. */
  bigRemaining: number;
  bigStopReason: string;
  totals: Pick<RunSummary, 'processed' | 'scanned' | 'claimed' | 'durationMs' | 'complete' | 'stopReason'>;
}

export interface Mix {
  big: number;
  smallTargets: number;
  smallBacklog: number;
  /** One target alone, PROBE entries: what the budget is derived from. */
  singleTargetEntriesPerSec: number;
  budgetSec: number;
  /** The huge target is listed first: the worst order for a scheduler that runs targets in turn. */
  order: string;
  runs: MixRun[];
}

export async function measureMix(server: DemoRedis, redis: Redis): Promise<Mix> {
  const settingsFor = (names: readonly string[], budgetSec: number): Settings =>
    loadSettings({
      REDIS_HOST: `127.0.0.1:${String(server.port)}`,
      REDIS_TLS: 'false',
      STREAM_NAME: names.join(','),
      STREAM_CONSUMER_GROUP_NAME: GROUP,
      MAX_RUN_SEC: String(budgetSec),
    });
  const big = 'bench:big';
  const small = Array.from({ length: SMALL_TARGETS }, (_, i) => `bench:small:${String(i).padStart(2, '0')}`);
  const names = [big, ...small];
  const client = await connect(settingsFor(names, 1));
  try {
    const rate = await probeRate(redis, client, settingsFor(['bench:probe'], 3600));
    // About BUDGET_SHARE of the huge backlog at one target's rate, in half seconds (a readable MAX_RUN_SEC).
    const budgetSec = Math.max(1, Math.round(((BUDGET_SHARE * BIG) / rate) * 2) / 2);
    await redis.flushall();
    await seedStream(client, big, GROUP, BIG);
    for (const stream of small) await seedStream(client, stream, GROUP, SMALL);
    const runs: MixRun[] = [];
    // Entries processed so far, per target in `names` order, over both runs.
    const done = names.map(() => 0);
    for (const run of [1, 2]) {
      await settle();
      const started = performance.now();
      const summary = await runTargets({ client, settings: settingsFor(names, budgetSec) });
      const seconds = (performance.now() - started) / 1000;
      const label = `mixed targets, run ${run}`;
      const perTarget = ranSummaries(summary, names, label);
      for (const [i, t] of perTarget.entries()) done[i] = (done[i] ?? 0) + t.processed;
      for (const [i, stream] of names.entries())
        await verifyStream(client, stream, GROUP, (i === 0 ? BIG : SMALL) - (done[i] ?? 0), label);
      await verifyHashCount(
        [redis],
        names.length,
        done.reduce((a, b) => a + b, 0),
        label,
      );
      const bigSummary = perTarget[0] as Summary;
      runs.push({
        run,
        seconds,
        smallComplete: done.slice(1).filter((n) => n === SMALL).length,
        bigProcessed: bigSummary.processed,
        bigRemaining: BIG - (done[0] ?? 0),
        bigStopReason: bigSummary.stopReason,
        totals: {
          processed: summary.processed,
          scanned: summary.scanned,
          claimed: summary.claimed,
          durationMs: summary.durationMs,
          complete: summary.complete,
          stopReason: summary.stopReason,
        },
      });
    }
    return {
      big: BIG,
      smallTargets: SMALL_TARGETS,
      smallBacklog: SMALL,
      singleTargetEntriesPerSec: rate,
      budgetSec,
      order: 'the huge target first, then the small ones',
      runs,
    };
  } finally {
    client.disconnect();
  }
}

/** One target alone on this server: entries/s of a PROBE-entry backlog, verified. */
async function probeRate(redis: Redis, client: AnyClient, settings: Settings): Promise<number> {
  await redis.flushall();
  await seedStream(client, settings.streamName, GROUP, PROBE);
  await settle();
  const started = performance.now();
  const summary = await runTargets({ client, settings });
  const seconds = (performance.now() - started) / 1000;
  if (!summary.complete || summary.processed !== PROBE)
    throw new Error(`single-target probe: processed ${summary.processed} of ${PROBE}`);
  await verifyStream(client, settings.streamName, GROUP, 0, 'single-target probe');
  await verifyHashCount([redis], 1, PROBE, 'single-target probe');
  return PROBE / seconds;
}

/** The run's per-target summaries in the order named; a failed target fails the benchmark. */
function ranSummaries(summary: RunSummary, names: readonly string[], label: string): Summary[] {
  const targets = summary.targets ?? [];
  const failed = targets.filter((t) => 'error' in t);
  if (failed.length > 0)
    throw new Error(`${label}: ${failed.length} target(s) failed: ${JSON.stringify(failed.slice(0, 3))}`);
  const byStream = new Map((targets as Summary[]).map((t) => [t.stream, t]));
  return names.map((name) => {
    const found = byStream.get(name);
    if (!found) throw new Error(`${label}: no summary for ${name}`);
    return found;
  });
}
