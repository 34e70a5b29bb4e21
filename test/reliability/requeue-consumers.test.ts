/**
 * RECLAIM_ACTION=requeue end to end with real consumer processes (test/fixtures/crashy-consumer.mjs):
 * each reads with `>`, acks most entries, dies by SIGKILL between read and ack now and then, and
 * always on a poison entry. In a round, consumers are started three at a time until every entry
 * in the stream has been delivered once (each one started reads at least one batch, so a round
 * ends; at most WAVES waves); then the crashed consumers' entries are made idle exactly (XCLAIM …
 * IDLE … JUSTID, owner and count kept) and the reclaimer requeues them, alternating the fast and
 * the general path. So each round delivers every live chain once more, and by round MAX_DELIVERIES
 * every chain has ended: processed by a consumer, or dead-lettered once after MAX_DELIVERIES in
 * total. None lost (the invariant, with requeued copies: test/helpers/invariant.ts). How the
 * entries fall to the consumers and when they crash is random; the bound on rounds is not.
 */
import { spawn } from 'node:child_process';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReclaim } from '../../src/reclaim/run';
import { addEntries, createGroup, pendingOf, setPending, testSettings } from '../helpers/backlog';
import { readDeadLetters } from '../helpers/dlq';
import { checkInvariant, lastDeliveredId, type Fields } from '../helpers/invariant';
import type { Settings } from '../../src/config/settings';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { trackConnections } from '../helpers/connections';
import { IDLE_MS, seedFromEnv } from './support';

const ENTRIES = 120;
const POISON = 6;
const MAX = 4;
/** Consumer waves per round, at the most: far more than 120 entries and their copies need. */
const WAVES = 60;
const CRASH_P = 0.04;

let server: RedisServer;
let redis: Redis;
const connections = trackConnections();

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
});
afterAll(async () => {
  connections.closeAll();
  await server?.stop();
});

/** Runs one consumer process to its end (exit or SIGKILL); bounded by a timeout that kills it. */
function consume(stream: string, group: string, name: string, seed: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['test/fixtures/crashy-consumer.mjs', server.host, stream, group, name, String(seed), String(CRASH_P)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`consumer ${name} exited ${code}: ${stderr}`));
      else resolve(signal ?? 'exit');
    });
  });
}

/** True while the stream holds an entry the group has not delivered yet. */
async function undelivered(settings: Settings): Promise<boolean> {
  const [newest] = (await redis.xrevrange(settings.streamName, '+', '-', 'COUNT', 1)) as [string, string[]][];
  return newest !== undefined && newest[0] !== (await lastDeliveredId(redis, settings));
}

describe('requeue with real consumers crashing at random', () => {
  it('processes every entry by a consumer or dead-letters it once after MAX_DELIVERIES in total; none lost', async () => {
    const seed = seedFromEnv('requeue-consumers');
    const settings = testSettings(server, { RECLAIM_ACTION: 'requeue', MAX_DELIVERIES: String(MAX), BATCH_SIZE: '16' });
    const { streamName: stream, groupName: group } = settings;
    const fields: string[][] = Array.from({ length: ENTRIES }, (_, i) =>
      i % (ENTRIES / POISON) === 0 ? ['n', String(i), 'poison', 'yes'] : ['n', String(i)],
    );
    const ids = await addEntries(redis, stream, fields);
    await createGroup(redis, stream, group);
    const client = await connections.open(settings);

    let round = 0;
    for (; round <= MAX; round++) {
      let wave = 0;
      do {
        expect(wave, `round ${round}: entries still undelivered after ${WAVES} waves, seed ${seed}`).toBeLessThan(
          WAVES,
        );
        const base = seed + (round * WAVES + wave) * 3;
        await Promise.all([0, 1, 2].map((c) => consume(stream, group, `r${round}w${wave}c${c}`, base + c)));
        wave++;
      } while (await undelivered(settings));
      const pending = await pendingOf(redis, stream, group);
      if (pending.length === 0) break;
      for (const [id, owner] of pending) await setPending(redis, stream, group, owner, [id], IDLE_MS);
      const summary = await runReclaim({ client, settings, fastPath: round % 2 === 0 });
      expect(summary.failed + summary.skipped, `round ${round}`).toBe(0);
    }

    // Round MAX_DELIVERIES finds nothing pending: every chain ended by the reclaim of round MAX - 1.
    expect(round, `seed ${seed}`).toBeLessThanOrEqual(MAX);
    const done = new Set(await redis.smembers(`${stream}:done`));
    const report = await checkInvariant(
      redis,
      settings,
      { entries: new Map(ids.map((id, i) => [id, fields[i] as Fields])), consumerAcked: done, requeue: true },
      { final: true },
    );
    expect(report.violations, `seed ${seed}`).toEqual([]);

    // Each original's chain ends exactly once: processed by a consumer, or one dead-letter record.
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    const origin = (r: (typeof records)[number]): string => {
      const i = r.original.findIndex((f, k) => k % 2 === 0 && f.toString() === 'reclaim.origin');
      return i < 0 ? (r.meta['dlq.id'] ?? '') : String(r.original[i + 1]);
    };
    const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
    const chainOf = new Map(
      entries.map(([id, f]) => [id, f.includes('reclaim.origin') ? f[f.indexOf('reclaim.origin') + 1] : id]),
    );
    const processedChains = [...done].map((id) => chainOf.get(id));
    const deadChains = records.map(origin);
    for (const [i, id] of ids.entries()) {
      const dead = deadChains.filter((c) => c === id).length;
      const processed = processedChains.filter((c) => c === id).length;
      expect(processed + dead, `${id} seed ${seed}`).toBeGreaterThanOrEqual(1);
      expect(dead, `${id} seed ${seed}`).toBeLessThanOrEqual(1);
      // A poison entry kills every consumer that reads it: only its record can end its chain.
      if ((fields[i] as string[]).includes('poison')) expect([processed, dead], `${id} seed ${seed}`).toEqual([0, 1]);
    }
    for (const r of records) expect(r.meta['dlq.deliveries']).toBe(String(MAX));
    expect(records.length).toBeGreaterThanOrEqual(POISON);
  }, 240_000);
});
