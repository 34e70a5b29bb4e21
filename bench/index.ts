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
import { findRedisServer, freePort, startDemoRedis } from '../src/local/redis-server';
import { singleTarget } from './single-target';
import { benchTargets } from './targets';
import { benchColdStart } from './cold-start';
import { benchRetry } from './retry';

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

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
