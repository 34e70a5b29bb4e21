/**
 * RETRY_BACKOFF_MAX_SEC on real servers: at each delivery count an entry is reclaimed only once
 * idle min(MIN_IDLE_TIME_SEC × 2^(d−1), RETRY_BACKOFF_MAX_SEC), decided with the claim, on the
 * fast path, the general path and the dry run, with each scan strategy the server has (the 6.0
 * one is forced here too; `REDIS_SERVER_BIN=…/redis-6.0` runs it on 6.0 itself). Idle times
 * and delivery counts are set exactly (XCLAIM … IDLE … RETRYCOUNT … FORCE JUSTID): no sleeping.
 */
import { describe, expect, it } from 'vitest';
import { runReclaim } from '../../src/reclaim/run';
import {
  addEntries,
  createGroup,
  pendingOf,
  readAsConsumer,
  setPending,
  testSettings,
  tweet,
} from '../helpers/backlog';
import { readDeadLetters } from '../helpers/dlq';
import { serverAtLeast } from '../helpers/server-version';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

const MIN_IDLE_MS = 60_000;
const MAX_MS = 600_000;
const MAX_DELIVERIES = 10;
/** The rule, written out: 60 s, 120 s, 240 s, 480 s, then the 600 s ceiling. */
const threshold = (d: number): number => Math.min(MIN_IDLE_MS * 2 ** (d - 1), MAX_MS);
/** Far enough below a threshold that a slow machine cannot age an entry past it during the test. */
const MARGIN_MS = 30_000;

type Path = 'fast' | 'general' | 'dry-run';

const strategies = async (): Promise<string[]> => ['auto', ...(serverAtLeast(6, 2) ? ['redis6.0'] : [])];

describe.each<Path>(['fast', 'general', 'dry-run'])('backoff on the %s path', (path) => {
  it('reclaims an entry delivered d times only once idle min(MIN_IDLE × 2^(d−1), MAX), at each d; at MAX_DELIVERIES it dead-letters at MIN_IDLE', async () => {
    for (const strategy of await strategies()) {
      const settings = testSettings(server, {
        RETRY_BACKOFF_MAX_SEC: String(MAX_MS / 1000),
        MAX_DELIVERIES: String(MAX_DELIVERIES),
        RECLAIM_STRATEGY: strategy,
        DRY_RUN: path === 'dry-run' ? 'true' : 'false',
        BATCH_SIZE: '7',
      });
      const { streamName: stream, groupName: group } = settings;
      await addEntries(
        redis,
        stream,
        Array.from({ length: 2 * MAX_DELIVERIES }, (_, i) => tweet(i)),
      );
      await createGroup(redis, stream, group);
      const due: string[] = [];
      const early: string[] = [];
      for (let d = 1; d < MAX_DELIVERIES; d++) {
        const [onTime, notYet] = await readAsConsumer(redis, stream, group, 'crashed', 2);
        await setPending(redis, stream, group, 'crashed', [onTime as string], threshold(d), d);
        due.push(onTime as string);
        // d = 1 waits MIN_IDLE only: below it the scan does not even see an entry.
        if (d > 1) {
          await setPending(redis, stream, group, 'crashed', [notYet as string], threshold(d) - MARGIN_MS, d);
          early.push(notYet as string);
        } else {
          await setPending(redis, stream, group, 'crashed', [notYet as string], 0, d);
        }
      }
      const [limit] = await readAsConsumer(redis, stream, group, 'crashed', 1);
      await setPending(redis, stream, group, 'crashed', [limit as string], MIN_IDLE_MS, MAX_DELIVERIES);

      const client = await connections.open(settings);
      const summary = await runReclaim({ client, settings, fastPath: path === 'fast' });

      expect(summary, strategy).toMatchObject({
        scanned: due.length + early.length + 1,
        processed: due.length,
        deferred: early.length,
        deadLettered: 1,
        requeued: 0,
        failed: 0,
        skipped: 0,
        complete: true,
      });
      const pending = new Map(
        (await pendingOf(redis, stream, group)).map(([id, owner, , deliveries]) => [id, { owner, deliveries }]),
      );
      for (const [i, id] of early.entries()) {
        // Left untouched: same owner, same count, no hash.
        expect(pending.get(id), `${strategy} d=${i + 2}`).toEqual({ owner: 'crashed', deliveries: i + 2 });
        expect(await redis.exists(`${settings.hashKeyPrefix}${id}`)).toBe(0);
      }
      if (path === 'dry-run') {
        expect(pending.size).toBe(2 * (MAX_DELIVERIES - 1) + 1);
        continue;
      }
      for (const id of due) {
        expect(pending.has(id)).toBe(false);
        expect(await redis.exists(`${settings.hashKeyPrefix}${id}`)).toBe(1);
      }
      const records = await readDeadLetters(redis, settings.deadLetterStream);
      expect(records.map((r) => [r.meta['dlq.id'], r.meta['dlq.reason'], r.meta['dlq.deliveries']])).toEqual([
        [limit, 'max-deliveries', String(MAX_DELIVERIES)],
      ]);
    }
  });
});

describe('backoff off (the default)', () => {
  it('reclaims every entry idle MIN_IDLE, whatever its delivery count, and defers nothing', async () => {
    const settings = testSettings(server, { MAX_DELIVERIES: String(MAX_DELIVERIES) });
    const { streamName: stream, groupName: group } = settings;
    await addEntries(
      redis,
      stream,
      Array.from({ length: 9 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    for (let d = 1; d <= 9; d++)
      await readAsConsumer(redis, stream, group, 'crashed', 1, { idleMs: MIN_IDLE_MS, deliveries: d });
    const client = await connections.open(settings);
    expect(await runReclaim({ client, settings })).toMatchObject({ scanned: 9, processed: 9, deferred: 0 });
  });
});
