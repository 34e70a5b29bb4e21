/**
 * Why a run stopped (`stopReason`), on both paths: the PEL covered, the budget spent (an injected
 * clock jumps past it after the first page), or the run's signal fired (aborted after the first
 * page). Each incomplete run leaves the rest pending, untouched, for the next run.
 */
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import { runReclaim, type RunOptions } from '../../src/reclaim/run';
import type { Settings } from '../../src/config/settings';
import { addEntries, createGroup, pendingOf, readAsConsumer, testSettings, tweet } from '../helpers/backlog';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

/** A crashed consumer's backlog of `n` idle entries, in pages of 10. */
async function backlog(n: number): Promise<{ settings: Settings; client: RedisClient }> {
  const settings = testSettings(server, { BATCH_SIZE: '10', MAX_RUN_SEC: '30' });
  await addEntries(
    redis,
    settings.streamName,
    Array.from({ length: n }, (_, i) => tweet(i)),
  );
  await createGroup(redis, settings.streamName, settings.groupName);
  await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', n, { idleMs: 600_000 });
  return { settings, client: await connections.open(settings) };
}

/** The options that stop a run once its first page is settled: a clock jump, an abort, or both. */
function stopAfterFirstPage(how: {
  budget: boolean;
  abort: boolean;
}): Pick<RunOptions, 'now' | 'signal' | 'onProgress'> {
  let t = 1_000_000;
  const abort = new AbortController();
  return {
    now: () => t,
    signal: abort.signal,
    onProgress: () => {
      if (how.budget) t += 60_000;
      if (how.abort) abort.abort();
    },
  };
}

describe.each([
  ['fast path', true],
  ['general path', false],
])('%s', (_label, fastPath) => {
  it('a covered PEL: stopReason "covered", complete', async () => {
    const { settings, client } = await backlog(30);
    const summary = await runReclaim({ client, settings, fastPath });
    expect(summary).toMatchObject({ processed: 30, complete: true, stopReason: 'covered' });
  });

  it.each([
    ['the budget is spent', { budget: true, abort: false }, 'budget'],
    ['the signal fires', { budget: false, abort: true }, 'interrupted'],
    // Both at once: the interruption is what the caller must act on (exit code, shutdown log).
    ['both happen at once', { budget: true, abort: true }, 'interrupted'],
  ] as const)('stops when %s: stopReason "%s", the rest left pending', async (_when, how, reason) => {
    const n = 500;
    const { settings, client } = await backlog(n);

    const summary = await runReclaim({ client, settings, fastPath, ...stopAfterFirstPage(how) });

    expect(summary).toMatchObject({ complete: false, stopReason: reason, failed: 0 });
    expect(summary.processed).toBeGreaterThan(0);
    const left = await pendingOf(redis, settings.streamName, settings.groupName);
    expect(left.length).toBeGreaterThan(0);
    expect(left).toHaveLength(n - summary.processed);
    expect(left.every(([, owner]) => owner === 'crashed')).toBe(true);

    // The next run, unhindered, finishes the job.
    const next = await runReclaim({ client, settings, fastPath });
    expect(next).toMatchObject({ processed: n - summary.processed, complete: true, stopReason: 'covered' });
  });
});
