/**
 * The single-target section of `npm run bench` (bench/index.ts): backlogs of BENCH_SIZES
 * tweet-like entries (default 10k, 100k, 1M) reclaimed by the baseline of the reference design,
 * the general path and the fast path, plus the dead-letter path and the function handler's
 * per-invocation overhead; every run verified; results.json and chart.svg written.
 */
import Redis from 'ioredis';
import { connect, type RedisClient } from '../src/redis/connection';
import { freePort, startDemoRedis } from '../src/local/redis-server';
import { runReclaim } from '../src/reclaim/run';
import { loadSettings, type Settings } from '../src/config/settings';
import { baselineRun } from './baseline';
import { measureHandler } from './handler';
import { GROUP, measureMedian, warmUp, type Result } from './measure';
import { report } from './report';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
/** Each variant's unrecorded first run. */
const WARM_UP_SIZE = 10_000;
/** The size at which the unix-socket comparison runs. */
const TRANSPORT_CHECK_SIZE = 100_000;
/** The baseline is skipped where its projected memory or time passes these bounds. */
const BASELINE_MAX_RSS_MB = 2048;
const BASELINE_MAX_SECONDS = 300;

export async function singleTarget(bin: string, dir: string): Promise<void> {
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

/** Why the baseline is skipped at `size`, projected from its largest measured run; or undefined. */
function baselineBound(results: readonly Result[], size: number): string | undefined {
  const previous = results.filter((r) => r.variant === 'baseline' && !r.skipped).at(-1);
  if (!previous) return undefined;
  const scale = size / previous.size;
  const [mb, seconds] = [previous.peakRssMB * scale, previous.seconds * scale];
  if (mb <= BASELINE_MAX_RSS_MB && seconds <= BASELINE_MAX_SECONDS) return undefined;
  return `skipped: projected ${mb.toFixed(0)} MB / ${seconds.toFixed(0)} s from ${previous.size} entries exceeds the ${BASELINE_MAX_RSS_MB} MB / ${BASELINE_MAX_SECONDS} s bound`;
}
