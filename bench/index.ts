/**
 * `npm run bench`: backlogs of 10k, 100k and 1M tweet-like entries on a throwaway redis-server,
 * reclaimed in this one process by (a) a baseline of the reference design, (b) the general
 * path, (c) the fast path; plus the dead-letter path (10% poison, 1% deleted) and the function
 * handler's per-invocation overhead. Every run is verified. Prints entries/s, peak RSS, Redis
 * memory and CPU per entry with ratios to the baseline; writes bench/results/results.json and
 * chart.svg. `BENCH_SIZES=10000,100000` picks other sizes.
 *
 * Then the multi-target section (bench/targets.ts): three streams on a local 3-master cluster in
 * one run against one stream alone, and one 1,000,000-entry target beside 50 small ones under a
 * budget too short for the huge one (about 1 minute). `BENCH_TARGETS=0` skips it;
 * `BENCH_TARGETS=only` runs only it (results.json keeps the other section's figures).
 *
 * First, the retry policy's section (bench/retry.ts): `process` against backoff-on and `requeue`
 * in the same run. `BENCH_RETRY=0` skips it; `BENCH_RETRY=only` runs only it.
 * Then the cold-start section (bench/cold-start.ts): fresh processes against a bare `node -e 0`
 * in the same loop. `BENCH_COLD_START=0` skips it; `BENCH_COLD_START=only` runs only it.
 *
 * Every variant talks to the server over loopback TCP, as it would to a real deployment. The
 * 100k pair (fast path and baseline) is also measured over the unix socket, where the baseline's
 * two round trips per entry are cheapest, so the transport's share of the ratio is on record.
 */
import { join } from 'node:path';
import Redis from 'ioredis';
import { connect, type RedisClient } from '../src/redis/connection';
import { findRedisServer, freePort, startDemoRedis } from '../src/local/redis-server';
import { runReclaim } from '../src/reclaim/run';
import { loadSettings, type Settings } from '../src/config/settings';
import { baselineRun } from './baseline';
import { measureHandler } from './handler';
import { GROUP, measureMedian, warmUp, type Result } from './measure';
import { report } from './report';
import { benchTargets } from './targets';
import { benchColdStart } from './cold-start';
import { benchRetry } from './retry';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
/** Each variant's unrecorded first run. */
const WARM_UP_SIZE = 10_000;
/** The size at which the unix-socket comparison runs. */
const TRANSPORT_CHECK_SIZE = 100_000;
/** The baseline is skipped where its projected memory or time passes these bounds. */
const BASELINE_MAX_RSS_MB = 2048;
const BASELINE_MAX_SECONDS = 300;

/** `0`: skip the multi-target section; `only`: run nothing else; `1` (default): both. */
const TARGETS = process.env.BENCH_TARGETS ?? '1';
/** The retry-policy section (bench/retry.ts): `0` skips it, `only` runs nothing else. */
const RETRY = process.env.BENCH_RETRY ?? '1';
/** `0`: skip the cold-start section; `only`: run nothing else; `1` (default): it too. */
const COLD_START = process.env.BENCH_COLD_START ?? '1';

async function main(): Promise<void> {
  if (!['0', '1', 'only'].includes(TARGETS)) {
    throw new Error(
      `BENCH_TARGETS is "${TARGETS}"; expected 0 (skip the multi-target section), 1 (run it too, the default) or only (run only it)`,
    );
  }
  const bin = findRedisServer(process.env.PATH);
  if (!bin) throw new Error('no redis-server on PATH (apt-get install -y redis-server)');
  if (!['0', '1', 'only'].includes(COLD_START))
    throw new Error(`BENCH_COLD_START is "${COLD_START}"; expected 0, 1 (the default) or only`);
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  if (RETRY !== '0' && COLD_START !== 'only') await retrySection(bin);
  if (RETRY === 'only') return;
  if (COLD_START !== 'only') {
    if (TARGETS !== 'only') await singleTarget(bin, dir);
    if (TARGETS !== '0') await benchTargets(bin, dir);
  }
  if (COLD_START !== '0') await benchColdStart(bin, dir);
}

async function singleTarget(bin: string, dir: string): Promise<void> {
  const server = await startDemoRedis(bin, { port: await freePort() });
  const redis = new Redis({ path: server.socket });
  const tcp = { REDIS_HOST: `127.0.0.1:${server.port}`, REDIS_TLS: 'false' };
  const settingsFor = (connection: Record<string, string>): Settings =>
    loadSettings({
      ...connection,
      STREAM_NAME: 'bench:tweets',
      STREAM_CONSUMER_GROUP_NAME: GROUP,
      MAX_RUN_SEC: '3600',
    });
  const settings = settingsFor(tcp);
  const opened: { disconnect(): void }[] = [redis];
  const open = async (s: Settings): Promise<RedisClient> => {
    const client = await connect(s);
    opened.push(client);
    return client;
  };
  const baselineClient = (transport: Result['transport']): Redis => {
    const client =
      transport === 'tcp' ? new Redis({ host: '127.0.0.1', port: server.port }) : new Redis({ path: server.socket });
    opened.push(client);
    return client;
  };
  const baselineArgs = {
    stream: settings.streamName,
    group: GROUP,
    consumer: settings.consumerName,
    minIdleMs: settings.minIdleMs,
    prefix: settings.hashKeyPrefix,
  };
  const results: Result[] = [];
  try {
    console.log(
      `node ${process.version}, redis-server ${(await redis.info('server')).match(/redis_version:(\S+)/)?.[1]}, sizes ${SIZES.join(', ')}`,
    );
    const client = await open(settings);
    const fast = { variant: 'fast', transport: 'tcp', run: () => runReclaim({ client, settings }) } as const;
    const general = {
      variant: 'general',
      transport: 'tcp',
      run: () => runReclaim({ client, settings, fastPath: false }),
    } as const;
    // The product's variants first: the baseline's heap growth would otherwise inflate their RSS.
    for (const v of [fast, general]) await warmUp(redis, settings, { ...v, size: WARM_UP_SIZE, poison: true });
    for (const size of SIZES) {
      for (const poison of [false, true]) {
        results.push(await measureMedian(redis, settings, { ...fast, size, poison }));
        results.push(await measureMedian(redis, settings, { ...general, size, poison }));
      }
    }
    const baseline = baselineClient('tcp');
    await warmUp(redis, settings, {
      variant: 'baseline',
      size: WARM_UP_SIZE,
      poison: false,
      transport: 'tcp',
      run: () => baselineRun(baseline, baselineArgs),
    });
    for (const size of SIZES) {
      const skipped = baselineBound(results, size);
      if (skipped) {
        console.log(`baseline ${String(size).padStart(8)} clean  ${skipped}`);
        results.push({
          variant: 'baseline',
          size,
          poison: false,
          transport: 'tcp',
          seconds: 0,
          entriesPerSec: 0,
          peakRssMB: 0,
          redisPeakMB: 0,
          redisCpuUsPerEntry: 0,
          nodeCpuUsPerEntry: 0,
          skipped,
        });
        continue;
      }
      results.push(
        await measureMedian(redis, settings, {
          variant: 'baseline',
          size,
          poison: false,
          transport: 'tcp',
          run: () => baselineRun(baseline, baselineArgs),
        }),
      );
    }
    if (SIZES.includes(TRANSPORT_CHECK_SIZE)) {
      const size = TRANSPORT_CHECK_SIZE;
      const overSocket = settingsFor({ REDIS_HOST: server.socket });
      const socketClient = await open(overSocket);
      const socketBaseline = baselineClient('unix');
      results.push(
        await measureMedian(redis, settings, {
          variant: 'fast',
          size,
          poison: false,
          transport: 'unix',
          run: () => runReclaim({ client: socketClient, settings: overSocket }),
        }),
      );
      results.push(
        await measureMedian(redis, settings, {
          variant: 'baseline',
          size,
          poison: false,
          transport: 'unix',
          run: () => baselineRun(socketBaseline, baselineArgs),
        }),
      );
    }
    await redis.flushall();
    const handler = await measureHandler(tcp, redis);
    report(results, handler, dir);
  } finally {
    for (const c of opened) c.disconnect();
    await server.stop();
  }
}

async function retrySection(bin: string): Promise<void> {
  const server = await startDemoRedis(bin, { port: await freePort() });
  const redis = new Redis({ path: server.socket });
  try {
    await benchRetry(redis, { REDIS_HOST: `127.0.0.1:${server.port}`, REDIS_TLS: 'false' });
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

/** Why the baseline is skipped at `size`, projected from its largest measured run; or undefined. */
function baselineBound(results: readonly Result[], size: number): string | undefined {
  const previous = results.filter((r) => r.variant === 'baseline' && !r.skipped).at(-1);
  if (!previous) return undefined;
  const scale = size / previous.size;
  const [mb, seconds] = [previous.peakRssMB * scale, previous.seconds * scale];
  if (mb <= BASELINE_MAX_RSS_MB && seconds <= BASELINE_MAX_SECONDS) return undefined;
  return `skipped: projected ${mb.toFixed(0)} MB / ${seconds.toFixed(0)} s from ${previous.size} entries exceeds the ${BASELINE_MAX_RSS_MB} MB / ${BASELINE_MAX_SECONDS} s bound`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
