/**
 * The actions under concurrency and SIGKILL. Four runs at once (two fast path, two general) with
 * `requeue` make exactly one copy per entry and dead-letter none twice; with `dead-letter-only`
 * they dead-letter the over-delivered once and leave every other entry pending as it was. The
 * built CLI with `requeue` is SIGKILLed at random moments, round after round: after each round
 * the invariant (acked with a requeued copy included) holds, and every entry ends with exactly
 * one copy or one record. Bounded: a few thousand entries, a few rounds.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReclaim, type Summary } from '../../src/reclaim/run';
import { pendingOf, testSettings } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { readDeadLetters } from '../helpers/dlq';
import { checkInvariant } from '../helpers/invariant';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { trackConnections } from '../helpers/connections';
import { backdateReclaimer, OutputLog, seedBacklog, seeded, seedFromEnv, spawnCli } from './support';

const RUNNERS = 4;
const ENTRIES = 2_000;
const KILL_ENTRIES = 5_000;
const KILL_ROUNDS = 8;

let server: RedisServer;
let redis: Redis;
const connections = trackConnections();
const log = new OutputLog();

beforeAll(async () => {
  ensureBuilt();
  server = await startRedis({ tcp: true });
  redis = server.client();
});
afterAll(async () => {
  connections.closeAll();
  await server?.stop();
});

/** Origins of the copies in the stream, each as often as it has a copy. */
async function copyOrigins(stream: string): Promise<string[]> {
  const rows = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
  return rows
    .filter(([, f]) => f.includes('reclaim.origin'))
    .map(([, f]) => f[f.indexOf('reclaim.origin') + 1] as string);
}

describe(`${RUNNERS} reclaimers at once`, () => {
  it('requeue: exactly one copy per workable entry, no record twice, nothing lost', async () => {
    const settings = testSettings(server, { RECLAIM_ACTION: 'requeue', MAX_DELIVERIES: '5', BATCH_SIZE: '25' });
    const { ids, entries, deleted } = await seedBacklog(redis, settings, ENTRIES);
    const clients = await Promise.all(Array.from({ length: RUNNERS }, () => connections.open(settings)));
    const summaries: Summary[] = await Promise.all(
      clients.map((client, i) => runReclaim({ client, settings, fastPath: i % 2 === 0 })),
    );

    const over = ids.filter((id, i) => i % 40 === 3 && !deleted.has(id));
    const workable = ids.filter((id, i) => i % 40 !== 3 && !deleted.has(id));
    expect(summaries.reduce((n, s) => n + s.requeued, 0)).toBe(workable.length);
    expect(summaries.reduce((n, s) => n + s.deadLettered, 0)).toBe(over.length);
    expect(summaries.filter((s) => s.requeued > 0).length, JSON.stringify(summaries)).toBeGreaterThanOrEqual(2);
    const origins = await copyOrigins(settings.streamName);
    expect(origins.sort()).toEqual([...workable].sort());
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    expect(records.map((r) => r.meta['dlq.id']).sort()).toEqual([...over].sort());
    const report = await checkInvariant(redis, settings, { entries, deleted, requeue: true }, { final: true });
    expect(report.violations).toEqual([]);
    expect(report.states.requeued).toBe(workable.length);
  });

  it('dead-letter-only: the over-delivered dead-lettered once, orphans cleared, every other entry pending exactly as it was', async () => {
    const settings = testSettings(server, {
      RECLAIM_ACTION: 'dead-letter-only',
      MAX_DELIVERIES: '5',
      BATCH_SIZE: '25',
    });
    const { ids, entries, deleted } = await seedBacklog(redis, settings, ENTRIES);
    const before = await pendingOf(redis, settings.streamName, settings.groupName);
    const clients = await Promise.all(Array.from({ length: RUNNERS }, () => connections.open(settings)));
    const summaries = await Promise.all(
      clients.map((client, i) => runReclaim({ client, settings, fastPath: i % 2 === 0 })),
    );

    const over = new Set(ids.filter((id, i) => i % 40 === 3 && !deleted.has(id)));
    expect(summaries.reduce((n, s) => n + s.deadLettered, 0)).toBe(over.size);
    expect(summaries.reduce((n, s) => n + s.claimed + s.processed + s.requeued, 0)).toBe(0);
    const after = await pendingOf(redis, settings.streamName, settings.groupName);
    const strip = (rows: typeof before) => rows.map(([id, owner, , d]) => [id, owner, d]);
    expect(strip(after)).toEqual(strip(before.filter(([id]) => !over.has(id) && !deleted.has(id))));
    expect(await copyOrigins(settings.streamName)).toEqual([]);
    const report = await checkInvariant(redis, settings, { entries, deleted, requeue: true });
    expect(report.violations).toEqual([]);
  });
});

/** Kills the run once the PEL holds `pendingAt` or fewer (polled every 2 ms) or after 5 s. */
async function killAfterProgress(
  pending: () => Promise<number>,
  pendingAt: number,
  kill: () => void,
  done: Promise<unknown>,
): Promise<number> {
  const started = Date.now();
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished && Date.now() - started < 5_000) {
    if ((await pending()) <= pendingAt) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  kill();
  return Date.now() - started;
}

describe('SIGKILL at random moments with RECLAIM_ACTION=requeue', () => {
  it(`loses nothing and copies no entry twice over ${KILL_ROUNDS} killed rounds, then a final run completes`, async () => {
    const random = seeded(seedFromEnv('retry-kill'));
    const settings = testSettings(server, { RECLAIM_ACTION: 'requeue', MAX_DELIVERIES: '5' });
    const { streamName: stream, groupName: group } = settings;
    const { ids, entries, deleted } = await seedBacklog(redis, settings, KILL_ENTRIES);
    const env = {
      REDIS_HOST: `127.0.0.1:${server.port}`,
      REDIS_TLS: 'false',
      STREAM_NAME: stream,
      STREAM_CONSUMER_GROUP_NAME: group,
      RECLAIM_ACTION: 'requeue',
      MAX_DELIVERIES: '5',
      BATCH_SIZE: '5',
      CONCURRENCY: '2',
    };
    const pending = async (): Promise<number> => ((await redis.call('XPENDING', stream, group)) as [number])[0];
    let killed = 0;
    let pendingBefore = await pending();
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const run = spawnCli(['run', '--json'], env, log);
      const target = Math.min(
        Math.floor(random() * ((KILL_ENTRIES * 1.5) / KILL_ROUNDS)),
        Math.max(0, pendingBefore - KILL_ENTRIES / 10),
      );
      await killAfterProgress(pending, pendingBefore - target, () => run.child.kill('SIGKILL'), run.done);
      const result = await run.done;
      if (result.signal === 'SIGKILL') killed++;
      else expect(result.code, result.stderr).toBe(0);
      await backdateReclaimer(redis, settings);
      const report = await checkInvariant(redis, settings, { entries, deleted, requeue: true });
      expect(report.violations, `round ${round}`).toEqual([]);
      pendingBefore = report.states.pending;
    }
    expect(killed).toBeGreaterThanOrEqual(KILL_ROUNDS - 2);

    const final = await spawnCli(['run', '--json'], { ...env, BATCH_SIZE: '500', CONCURRENCY: '16' }, log).done;
    expect(final.code, final.stderr).toBe(0);
    const report = await checkInvariant(redis, settings, { entries, deleted, requeue: true }, { final: true });
    expect(report.violations).toEqual([]);
    // Each entry still in the stream ends with exactly one copy or exactly one record.
    const origins = await copyOrigins(stream);
    const recorded = (await readDeadLetters(redis, settings.deadLetterStream)).map((r) => r.meta['dlq.id']);
    for (const id of ids.filter((i) => !deleted.has(i))) {
      expect(origins.filter((o) => o === id).length + recorded.filter((r) => r === id).length, id).toBe(1);
    }
  }, 240_000);
});
