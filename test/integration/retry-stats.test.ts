/**
 * What the retry policy shows before it acts: `stats` counts the pending entries backoff defers
 * now (bounded sample), and a dry run predicts requeues, deferrals and dead letters over copies
 * while changing nothing. Idle times and counts set exactly (XCLAIM … IDLE … RETRYCOUNT).
 */
import { describe, expect, it } from 'vitest';
import { collectStats } from '../../src/ops/stats';
import { runReclaim } from '../../src/reclaim/run';
import { addEntries, createGroup, readAsConsumer, setPending, testSettings, tweet } from '../helpers/backlog';
import { snapshotKeys, type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';
import { formatStats } from '../../src/cli/stats';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

/** 2 due (d=1 at 60 s, d=2 at 120 s), 2 deferred (d=2 at 100 s; d=1 with 2 earlier copies at 200 s < 240 s), 1 over the limit, 1 fresh. */
async function backlog(env: Record<string, string>) {
  const settings = testSettings(server, { MAX_DELIVERIES: '4', RETRY_BACKOFF_MAX_SEC: '3600', ...env });
  const { streamName: stream, groupName: group } = settings;
  const ids = await addEntries(redis, stream, [
    tweet(0),
    tweet(1),
    tweet(2),
    ['x', '1', 'reclaim.deliveries', '2'],
    ['x', '2', 'reclaim.deliveries', '3'],
    tweet(5),
  ]);
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, 'crashed', 6);
  const set = (i: number, idle: number, d: number) =>
    setPending(redis, stream, group, 'crashed', [ids[i] as string], idle, d);
  await set(0, 60_000, 1);
  await set(1, 120_000, 2);
  await set(2, 100_000, 2);
  await set(3, 200_000, 1);
  await set(4, 60_000, 1);
  await set(5, 1_000, 1);
  return { settings, ids, client: await connections.open(settings) };
}

describe('stats with backoff', () => {
  it('counts the pending entries backoff defers now, and says how many it looked at', async () => {
    const { settings, client } = await backlog({});
    const stats = await collectStats(client, settings);
    expect(stats).toMatchObject({ pending: 6, deferred: 2, deferredSample: 6 });
    expect(formatStats(stats)).toContain('deferred by backoff');
  });

  it('reports null (and prints nothing) when backoff is off', async () => {
    const { settings, client } = await backlog({ RETRY_BACKOFF_MAX_SEC: '' });
    const stats = await collectStats(client, settings);
    expect(stats).toMatchObject({ deferred: null, deferredSample: 0 });
    expect(formatStats(stats)).not.toContain('deferred by backoff');
  });
});

describe('a dry run with the retry policy', () => {
  it.each(['requeue', 'process', 'dead-letter-only'])(
    'predicts what RECLAIM_ACTION=%s would do, and changes nothing',
    async (action) => {
      const { settings, client } = await backlog({ RECLAIM_ACTION: action, DRY_RUN: 'true' });
      const before = await snapshotKeys(redis);
      const summary = await runReclaim({ client, settings });
      const acted = action === 'dead-letter-only' ? 0 : 2;
      expect(summary).toMatchObject({
        scanned: 5,
        deadLettered: 1,
        deferred: action === 'dead-letter-only' ? 0 : 2,
        requeued: action === 'requeue' ? acted : 0,
        processed: action === 'process' ? acted : 0,
        dryRun: true,
      });
      expect(await snapshotKeys(redis)).toEqual(before);
      // The real run does what the dry run said.
      const real = await runReclaim({ client, settings: { ...settings, dryRun: false } });
      expect(real).toMatchObject({
        deadLettered: 1,
        deferred: summary.deferred,
        requeued: summary.requeued,
        processed: summary.processed,
      });
    },
  );
});
