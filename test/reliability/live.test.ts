/**
 * Live consumers: while a producer writes and five consumers read and ack at full speed, and a
 * sixth crashes now and then (stops acking what it read), the reclaimer runs about every second.
 * It never takes an entry a live consumer is working on (every consumer XACK succeeds, and the
 * reclaimer's processor never sees a live consumer's entry), and the crashed consumer's entries
 * are reclaimed.
 */
import Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type RedisClient } from '../../src/redis/connection';
import { buildKeys } from '../../src/redis/keys';
import { createHashWriter, type Processor } from '../../src/reclaim/process';
import { runReclaim, type Summary } from '../../src/reclaim/run';
import { createGroup, pendingOf, setPending, testSettings } from '../helpers/backlog';
import { checkInvariant, type Fields } from '../helpers/invariant';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';
import { IDLE_MS, sleep } from './support';

const LIVE = 5;
const RUNS = 6;
/** Far above what a live consumer takes between XREADGROUP and XACK (milliseconds). */
const MIN_IDLE_SEC = 3;

let server: RedisServer;
let admin: Redis;
let reclaimerClient: RedisClient;
const extra: Redis[] = [];

useRedis({}, (started) => ([server, admin] = [started, started.client()]));
afterAll(async () => {
  reclaimerClient?.disconnect();
  for (const c of extra) c.disconnect();
});

type Reply = [string, [string, string[]][]][] | null;

describe('the reclaimer beside live consumers', () => {
  it('never steals a live entry, and reclaims the crashed consumer’s', async () => {
    const settings = testSettings(server, { MIN_IDLE_TIME_SEC: String(MIN_IDLE_SEC), BATCH_SIZE: '100' });
    const { streamName: stream, groupName: group } = settings;
    await createGroup(admin, stream, group);
    reclaimerClient = await connect(settings);
    const conn = (): Redis => {
      const c = new Redis({ path: server.host, maxRetriesPerRequest: 1 });
      extra.push(c);
      return c;
    };

    const entries = new Map<string, Fields>();
    const liveRead = new Set<string>();
    const consumerAcked = new Set<string>();
    const crashedRead = new Set<string>();
    let failedAcks = 0;
    let stop = false;

    const producer = (async () => {
      const c = conn();
      for (let i = 0; !stop; i++) {
        const pipeline = c.pipeline();
        const batch = Array.from({ length: 50 }, (_, j) => ['seq', String(i * 50 + j), 'text', `live ${i}`]);
        for (const f of batch) pipeline.xadd(stream, '*', ...f);
        const ids = ((await pipeline.exec()) ?? []).map(([, id]) => String(id));
        ids.forEach((id, j) => entries.set(id, batch[j] as string[]));
        await sleep(5);
      }
    })();

    const live = Array.from({ length: LIVE }, (_, n) =>
      (async () => {
        const c = conn();
        while (!stop) {
          const reply = (await c.xreadgroup(
            'GROUP',
            group,
            `live-${n}`,
            'COUNT',
            20,
            'BLOCK',
            50,
            'STREAMS',
            stream,
            '>',
          )) as Reply;
          const ids = (reply?.[0]?.[1] ?? []).map(([id]) => id);
          if (ids.length === 0) continue;
          ids.forEach((id) => liveRead.add(id));
          const acked = await c.xack(stream, group, ...ids);
          // Fewer acks than IDs read means someone took an entry this consumer was working on.
          failedAcks += ids.length - Number(acked);
          ids.forEach((id) => consumerAcked.add(id));
        }
      })(),
    );

    // Reads a batch, acks it normally most of the time; every 5th batch it "crashes": never acks.
    const flaky = (async () => {
      const c = conn();
      for (let i = 0; !stop; i++) {
        const reply = (await c.xreadgroup(
          'GROUP',
          group,
          'flaky',
          'COUNT',
          20,
          'BLOCK',
          50,
          'STREAMS',
          stream,
          '>',
        )) as Reply;
        const ids = (reply?.[0]?.[1] ?? []).map(([id]) => id);
        if (ids.length === 0) continue;
        if (i % 5 === 4) {
          ids.forEach((id) => crashedRead.add(id));
          await sleep(100); // "restarting"
          continue;
        }
        ids.forEach((id) => liveRead.add(id));
        failedAcks += ids.length - Number(await c.xack(stream, group, ...ids));
        ids.forEach((id) => consumerAcked.add(id));
      }
    })();

    const seenByReclaimer = new Set<string>();
    const writer = createHashWriter(buildKeys(settings), settings.hashKeyField);
    const recording: Processor = {
      async process(entry, source) {
        seenByReclaimer.add(entry.id);
        return writer.process(entry, source);
      },
    };
    const summaries: Summary[] = [];
    for (let run = 0; run < RUNS; run++) {
      await sleep(1_000);
      summaries.push(await runReclaim({ client: reclaimerClient, settings, processor: recording }));
    }
    stop = true;
    await Promise.all([producer, ...live, flaky]);

    expect(failedAcks).toBe(0);
    expect([...seenByReclaimer].filter((id) => liveRead.has(id))).toEqual([]);
    expect(liveRead.size).toBeGreaterThan(1_000);
    expect(crashedRead.size).toBeGreaterThan(0);
    // Only the crashed consumer's entries can be idle long enough (if any got there in time).
    expect([...seenByReclaimer].every((id) => crashedRead.has(id))).toBe(true);

    // Time passes for the crashed consumer's leftovers: backdate them; one more run takes them.
    const left = (await pendingOf(admin, stream, group)).filter(([, owner]) => owner === 'flaky').map(([id]) => id);
    await setPending(admin, stream, group, 'flaky', left, IDLE_MS);
    summaries.push(await runReclaim({ client: reclaimerClient, settings, processor: recording }));
    expect(seenByReclaimer).toEqual(crashedRead);

    const report = await checkInvariant(admin, settings, { entries, consumerAcked }, { final: true });
    expect(report.violations).toEqual([]);
    expect(report.states.hashed).toBe(crashedRead.size);
    console.log(
      `[live] runs=${summaries.length} produced=${entries.size} consumer-acked=${consumerAcked.size} crashed-and-reclaimed=${crashedRead.size} ` +
        `stolen=0 states=${JSON.stringify(report.states)}`,
    );
  }, 60_000);
});
