/**
 * Producers and consumers using the stream commands of Redis 8.2–8.6 beside the reclaimer
 * (docs/servers.md, "Redis 8.2 to 8.6 stream commands"): `XDELEX`/`XACKDEL` and the reference
 * policies `KEEPREF|DELREF|ACKED` (8.2, also on `XADD`/`XTRIM` trimming), and consumers that read
 * with `XREADGROUP … CLAIM <min-idle>` (8.4), re-claiming idle entries for themselves. Each test
 * is skipped on a server older than the command (read from `redis-server --version`; Valkey 9.1
 * lacks them too). Consumers are real clients on their own connections, bounded in rounds.
 */
import { describe, expect, it } from 'vitest';
import { runReclaim } from '../../src/reclaim/run';
import type { Settings } from '../../src/config/settings';
import type { Processor } from '../../src/reclaim/process';
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
import { checkInvariant } from '../helpers/invariant';
import { serverAtLeast } from '../helpers/server-version';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

const has82 = serverAtLeast(8, 2);
const has84 = serverAtLeast(8, 4);

const PATHS = [
  ['fast path', true, 'auto'],
  ['general path', false, 'auto'],
  ['6.0 scan (fast path)', true, 'redis6.0'],
] as const;

async function crashedBacklog(settings: Settings, n: number): Promise<string[]> {
  const ids = await addEntries(
    redis,
    settings.streamName,
    Array.from({ length: n }, (_, i) => tweet(i)),
  );
  await createGroup(redis, settings.streamName, settings.groupName);
  await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', n, { idleMs: 120_000 });
  return ids;
}

describe.skipIf(!has82)('XDELEX, XACKDEL and trimming policies (Redis 8.2+)', () => {
  it.each(PATHS)(
    '%s: KEEPREF leaves orphans, acknowledged and counted; DELREF and ACKED leave nothing for the run',
    async (_label, fastPath, strategy) => {
      const settings = testSettings(server, { RECLAIM_STRATEGY: strategy, BATCH_SIZE: '7' });
      const { streamName: stream, groupName: group } = settings;
      const ids = await crashedBacklog(settings, 30);
      const keep = ids.filter((_, i) => i % 5 === 1);
      const delref = ids.filter((_, i) => i % 5 === 2);
      expect(await redis.call('XDELEX', stream, 'KEEPREF', 'IDS', keep.length, ...keep)).toEqual(keep.map(() => 1));
      expect(await redis.call('XDELEX', stream, 'DELREF', 'IDS', delref.length, ...delref)).toEqual(
        delref.map(() => 1),
      );
      // ACKED deletes only what no group still needs: every entry here is pending, so nothing.
      expect(await redis.call('XDELEX', stream, 'ACKED', 'IDS', 2, ids[0] as string, ids[3] as string)).toEqual([2, 2]);
      expect((await pendingOf(redis, stream, group)).map(([id]) => id)).toEqual(
        ids.filter((id) => !delref.includes(id)),
      );

      const client = await connections.open(settings);
      const summary = await runReclaim({ client, settings, fastPath });

      const rest = ids.filter((id) => !keep.includes(id) && !delref.includes(id));
      expect(summary).toMatchObject({
        scanned: rest.length + keep.length,
        processed: rest.length,
        orphaned: keep.length,
        deadLettered: 0,
        failed: 0,
        skipped: 0,
      });
      expect(await pendingOf(redis, stream, group)).toEqual([]);
      for (const id of rest) expect(await redis.exists(`${stream}:${id}`)).toBe(1);
      for (const id of [...keep, ...delref]) expect(await redis.exists(`${stream}:${id}`)).toBe(0);
    },
  );

  it('XTRIM with KEEPREF orphans, DELREF clears references, ACKED keeps what is pending', async () => {
    const settings = testSettings(server);
    const { streamName: stream, groupName: group } = settings;
    const ids = await crashedBacklog(settings, 30);
    // ACKED trims only entries no group needs: all are pending, so none.
    expect(await redis.call('XTRIM', stream, 'MAXLEN', '=', 20, 'ACKED')).toBe(0);
    expect(await redis.call('XTRIM', stream, 'MAXLEN', '=', 25, 'DELREF')).toBe(5);
    expect(await redis.call('XTRIM', stream, 'MAXLEN', '=', 20, 'KEEPREF')).toBe(5);
    // The same policy on XADD's own trimming: one more KEEPREF orphan.
    await redis.call('XADD', stream, 'MAXLEN', '=', 20, 'KEEPREF', '*', 'user', 'new');
    expect(await pendingOf(redis, stream, group)).toHaveLength(25);

    const client = await connections.open(settings);
    const summary = await runReclaim({ client, settings });

    expect(summary).toMatchObject({ processed: 19, orphaned: 6, deadLettered: 0, failed: 0 });
    expect(await pendingOf(redis, stream, group)).toEqual([]);
    expect(await redis.exists(`${stream}:${ids[29]}`)).toBe(1);
  });

  it.each([['KEEPREF'], ['DELREF'], ['ACKED']])(
    'a consumer that XACKDELs (%s) an entry while the run processes it: the fenced settle skips it, writes nothing',
    async (policy) => {
      const settings = testSettings(server);
      const { streamName: stream, groupName: group } = settings;
      const ids = await crashedBacklog(settings, 6);
      const raced = ids[2] as string;
      const consumer = server.client();
      // The processor stands for the run's work on each entry; on one entry the original consumer
      // wakes up meanwhile, finishes it and acknowledges and deletes it (deterministic order).
      const processor: Processor = {
        async process(entry) {
          if (entry.id === raced)
            expect(await consumer.call('XACKDEL', stream, group, policy, 'IDS', 1, raced)).toEqual([1]);
          return { key: Buffer.from(`${stream}:${entry.id}`), fields: entry.fields };
        },
      };

      const client = await connections.open(settings);
      const summary = await runReclaim({ client, settings, processor });

      expect(summary).toMatchObject({ claimed: 6, processed: 5, skipped: 1, deadLettered: 0, failed: 0 });
      expect(await redis.exists(`${stream}:${raced}`)).toBe(0);
      expect(await pendingOf(redis, stream, group)).toEqual([]);
      expect(await redis.xlen(stream)).toBe(5);
    },
  );
});

/** A consumer that re-claims idle entries for itself: `XREADGROUP … CLAIM <minIdle>`; acks all but poison. */
async function consumerRound(
  consumer: TestClient,
  s: Settings,
  name: string,
  poison: ReadonlySet<string>,
  acked: Set<string>,
): Promise<number> {
  const reply = (await consumer.call(
    'XREADGROUP',
    'GROUP',
    s.groupName,
    name,
    'COUNT',
    50,
    'CLAIM',
    0,
    'STREAMS',
    s.streamName,
    '>',
  )) as [string, [string, string[], ...unknown[]][]][] | null;
  const got = (reply?.[0]?.[1] ?? []).map(([id]) => id);
  for (const id of got) {
    if (poison.has(id)) continue;
    if ((await consumer.xack(s.streamName, s.groupName, id)) === 1) acked.add(id);
  }
  return got.length;
}

describe.skipIf(!has84)('beside consumers that read with XREADGROUP … CLAIM (Redis 8.4+)', () => {
  it.each(PATHS.concat([['6.0 scan (general path)', false, 'redis6.0']] as never))(
    '%s: a poison entry they keep re-claiming, never idle MIN_IDLE_TIME_SEC, is dead-lettered once it is over MAX_DELIVERIES',
    async (_label, fastPath, strategy) => {
      const settings = testSettings(server, { MAX_DELIVERIES: '3', RECLAIM_STRATEGY: strategy });
      const { streamName: stream, groupName: group } = settings;
      const ids = await addEntries(
        redis,
        stream,
        Array.from({ length: 4 }, (_, i) => tweet(i)),
      );
      await createGroup(redis, stream, group);
      const [atLimit, overLimit] = ids as [string, string];
      const consumer = server.client();
      const acked = new Set<string>();
      // Every round re-claims whatever is pending (CLAIM 0): each a delivery, idle reset to 0.
      for (let round = 0; round < 4; round++)
        await consumerRound(consumer, settings, 'w1', new Set([atLimit, overLimit]), acked);
      // atLimit exactly at MAX_DELIVERIES (3), overLimit past it (4); neither idle for 60 s.
      await setPending(redis, stream, group, 'w1', [atLimit], 5, 3);
      await setPending(redis, stream, group, 'w1', [overLimit], 5, 4);

      const warnings: [string, Record<string, unknown>][] = [];
      const logger = {
        info() {},
        warn: (m: string, f?: object) => warnings.push([m, (f ?? {}) as Record<string, unknown>]),
        error() {},
      };
      const client = await connections.open(settings);
      const summary = await runReclaim({ client, settings, fastPath, logger });

      expect(summary).toMatchObject({ deadLettered: 1, processed: 0, skipped: 0, failed: 0 });
      const records = await readDeadLetters(redis, settings.deadLetterStream);
      expect(
        records.map((r) => [r.meta['dlq.id'], r.meta['dlq.deliveries'], r.meta['dlq.reason'], r.meta['dlq.consumer']]),
      ).toEqual([[overLimit, '4', 'max-deliveries', 'w1']]);
      // At the limit and fresh: its consumer may be on its last allowed delivery right now.
      expect((await pendingOf(redis, stream, group)).map(([id, owner, , count]) => [id, owner, count])).toEqual([
        [atLimit, 'w1', 3],
      ]);
      const warning = warnings.find(([m]) => m.includes('more than MAX_DELIVERIES'));
      expect(warning?.[1]).toMatchObject({ stream, group, entries: 1, maxDeliveries: 3, consumers: 'w1' });

      // Re-claimed once more it is over the limit too: the next run dead-letters it; nothing twice.
      await consumerRound(consumer, settings, 'w2', new Set([atLimit]), acked);
      expect(await runReclaim({ client, settings, fastPath, logger })).toMatchObject({ deadLettered: 1 });
      expect(await runReclaim({ client, settings, fastPath, logger })).toMatchObject({ deadLettered: 0, scanned: 0 });
      const all = await readDeadLetters(redis, settings.deadLetterStream);
      expect(all.map((r) => [r.meta['dlq.id'], r.meta['dlq.deliveries'], r.meta['dlq.consumer']])).toEqual([
        [overLimit, '4', 'w1'],
        [atLimit, '4', 'w2'],
      ]);
      expect(acked).toEqual(new Set(ids.slice(2)));
    },
  );

  it.each(PATHS)(
    '%s: overlapping runs beside two re-claiming consumers lose nothing and dead-letter nothing twice',
    async (_label, fastPath, strategy) => {
      const settings = testSettings(server, {
        MAX_DELIVERIES: '3',
        RECLAIM_STRATEGY: strategy,
        BATCH_SIZE: '20',
        MIN_IDLE_TIME_SEC: '0.005',
      });
      const { streamName: stream, groupName: group } = settings;
      const n = 200;
      const ids = await addEntries(
        redis,
        stream,
        Array.from({ length: n }, (_, i) => tweet(i)),
      );
      await createGroup(redis, stream, group);
      const poison = new Set(ids.filter((_, i) => i % 9 === 4));
      const acked = new Set<string>();
      const consumers = [server.client(), server.client()];
      const clients = [await connections.open(settings), await connections.open(settings)];

      // Bounded: 30 rounds per consumer, 10 runs per reclaimer client, all at once.
      await Promise.all([
        ...consumers.map(async (c, k) => {
          for (let round = 0; round < 30; round++) await consumerRound(c, settings, `w${k}`, poison, acked);
        }),
        ...clients.map(async (client) => {
          for (let run = 0; run < 10; run++) await runReclaim({ client, settings, fastPath });
        }),
      ]);
      // The consumers stopped: final runs settle what is left (idle past 5 ms, set exactly).
      const left = (await pendingOf(redis, stream, group)).map(([id, owner]) => [id, owner] as const);
      for (const [id, owner] of left) await setPending(redis, stream, group, owner, [id], 60_000);
      await runReclaim({ client: clients[0] as TestClient, settings, fastPath });
      await runReclaim({ client: clients[0] as TestClient, settings, fastPath });

      expect(await pendingOf(redis, stream, group)).toEqual([]);
      const entries = new Map(ids.map((id, i) => [id, tweet(i)] as const));
      const report = await checkInvariant(redis, settings, { entries, consumerAcked: acked }, { final: true });
      expect(report.violations).toEqual([]);
      // Each entry acked by a consumer, or hashed by a run, or acked with one record; poison the
      // consumers never acked is hashed or dead-lettered by the runs.
      expect(report.states['consumer-acked'] + report.states.hashed + report.states['dead-lettered']).toBe(n);
      expect([...poison].some((id) => acked.has(id))).toBe(false);
    },
  );
});
