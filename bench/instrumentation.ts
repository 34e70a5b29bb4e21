/**
 * Cost of the OpenTelemetry instrumentation with no SDK registered (the API's no-op), against a
 * baseline that bypasses it (setInstrumentationEnabled(false)), in one process on one
 * redis-server: the same backlog size per run, modes alternated (ABBA) so warm-up and server
 * state drift cancel out. Prints entries/s per run, the medians' ratio, and the client CPU time per
 * entry (steadier than wall time on a shared machine), plus a micro-measure of the no-op calls alone.
 * `npm run bench:telemetry` (BENCH_ENTRIES, BENCH_REPS to change the size). Not a test: the
 * figure goes in the closing note of the change, the target being a cost under 3%.
 */
import { performance } from 'node:perf_hooks';
import { connect } from '../src/redis/connection';
import { zeroCounts } from '../src/reclaim/counts';
import { instrumentRun, setInstrumentationEnabled } from '../src/telemetry/instrumentation';
import { buildKeys } from '../src/redis/keys';
import { createHashWriter, type Processor } from '../src/reclaim/process';
import { runReclaim } from '../src/reclaim/run';
import { addEntries, createGroup, readAsConsumer, testSettings, tweet } from '../test/helpers/backlog';
import { startRedis } from '../test/helpers/redis-server';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 50_000);
const REPS = Number(process.env.BENCH_REPS ?? 4);

type Mode = 'instrumented' | 'baseline';

async function main(): Promise<void> {
  const server = await startRedis();
  const redis = server.client();
  const results: Record<string, Record<Mode, number[]>> = {};
  const cpu: Record<string, Record<Mode, number[]>> = {};
  try {
    for (const path of ['fast', 'general'] as const) {
      results[path] = { instrumented: [], baseline: [] };
      cpu[path] = { instrumented: [], baseline: [] };
      // One small unmeasured warm-up run per mode (JIT, script cache), then ABBA: i, b, b, i, i, b, …
      const runs: { mode: Mode; warmup: boolean }[] = [
        { mode: 'instrumented', warmup: true },
        { mode: 'baseline', warmup: true },
      ];
      for (let r = 0; r < REPS; r++) {
        const pair: Mode[] = r % 2 === 0 ? ['instrumented', 'baseline'] : ['baseline', 'instrumented'];
        runs.push(...pair.map((mode) => ({ mode, warmup: false })));
      }
      for (const { mode, warmup } of runs) {
        const settings = testSettings(server, { BATCH_SIZE: '100', MIN_IDLE_TIME_SEC: '60' });
        const n = warmup ? Math.min(ENTRIES, 5_000) : ENTRIES;
        await addEntries(
          redis,
          settings.streamName,
          Array.from({ length: n }, (_, i) => tweet(i)),
        );
        await createGroup(redis, settings.streamName, settings.groupName);
        await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', n, { idleMs: 600_000 });
        const client = await connect(settings);
        // The general path: a custom processor (the hash writer's result, without its fast-path marker).
        const writer = createHashWriter(buildKeys(settings), settings.hashKeyField);
        const processor: Processor | undefined =
          path === 'general' ? { process: (e, source) => writer.process(e, source) } : undefined;
        setInstrumentationEnabled(mode === 'instrumented');
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const summary = await runReclaim({ client, settings, processor });
        const seconds = (performance.now() - t0) / 1000;
        const used = process.cpuUsage(c0);
        const cpuUsPerEntry = (used.user + used.system) / n;
        client.disconnect();
        await redis.del(settings.streamName);
        if (summary.processed !== n) throw new Error(`expected ${n} processed, got ${summary.processed}`);
        if (warmup) continue;
        results[path][mode].push(n / seconds);
        cpu[path][mode].push(cpuUsPerEntry);
        console.log(
          `${path.padEnd(7)} ${mode.padEnd(12)} ${Math.round(n / seconds)
            .toString()
            .padStart(8)} entries/s  ${cpuUsPerEntry.toFixed(2)} µs CPU/entry`,
        );
      }
    }
  } finally {
    setInstrumentationEnabled(true);
    await server.stop();
  }
  for (const [path, r] of Object.entries(results)) {
    const ratio = median(r.instrumented) / median(r.baseline);
    const c = cpu[path] as Record<Mode, number[]>;
    const cpuRatio = median(c.instrumented) / median(c.baseline);
    console.log(
      `${path} path: median instrumented ${Math.round(median(r.instrumented))} entries/s, baseline ${Math.round(median(r.baseline))} entries/s, ` +
        `throughput ratio ${ratio.toFixed(4)} (cost ${((1 - ratio) * 100).toFixed(2)}%); ` +
        `CPU/entry ${median(c.instrumented).toFixed(2)} vs ${median(c.baseline).toFixed(2)} µs (cost ${((cpuRatio - 1) * 100).toFixed(2)}%)`,
    );
  }
  await microMeasure();
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The no-op calls alone: one run wrapper plus 100 page wrappers around empty work. */
async function microMeasure(): Promise<void> {
  const settings = {
    streamName: 's',
    groupName: 'g',
    deadLetterStream: 's:dlq',
    dryRun: false,
    redisPassword: undefined,
    appInsightsConnectionString: undefined,
  };
  const client = undefined as unknown as Parameters<typeof instrumentRun>[0];
  const one = async (): Promise<void> => {
    await instrumentRun(client, settings, async (t) => {
      const counts = zeroCounts();
      for (let i = 0; i < 100; i++) await t.page(100, counts, async () => undefined);
      return { durationMs: 0, complete: true, stopReason: 'covered' as const };
    });
  };
  const perPage: Record<string, number[]> = { on: [], off: [] };
  for (const on of [true, false, false, true, true, false]) {
    setInstrumentationEnabled(on);
    const t0 = performance.now();
    for (let i = 0; i < 2_000; i++) await one();
    perPage[on ? 'on' : 'off']?.push(((performance.now() - t0) * 1000) / (2_000 * 100));
  }
  const delta = median(perPage.on ?? []) - median(perPage.off ?? []);
  console.log(
    `no-op calls alone: ${median(perPage.on ?? []).toFixed(3)} µs per page instrumented vs ${median(perPage.off ?? []).toFixed(3)} µs bypassed: ` +
      `${delta.toFixed(3)} µs per page of 100 = ${(delta / 100).toFixed(4)} µs per entry`,
  );
  setInstrumentationEnabled(true);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
