/**
 * Kill at any point: the built CLI is SIGKILLed at random moments, round after round, on a
 * 50,000-entry backlog; then a final run completes. The invariant holds on every entry after
 * every kill, and after the final run nothing is pending, lost or dead-lettered twice. The same
 * for one run over six targets (three streams × two groups, the two groups of a stream sharing
 * its hashes and dead-letter stream): the invariant holds on every target after every kill.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/reclaim/run-targets';
import { testSettings, uniqueName } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { checkInvariant, type Backlog, type InvariantReport } from '../helpers/invariant';
import { killLoop } from '../helpers/kill-loop';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';
import {
  backdateReclaimer,
  OutputLog,
  PASSWORD,
  seedBacklog,
  seedGroups,
  seeded,
  seedFromEnv,
  spawnCli,
  type SeededBacklog,
} from './support';

const ENTRIES = Number(process.env.KILL_ENTRIES || 50_000);
const ROUNDS = Number(process.env.KILL_ROUNDS || 20);

let server: RedisServer;
let redis: Redis;
const log = new OutputLog();

useRedis(
  { tcp: true, args: ['--requirepass', PASSWORD] },
  (started) => ([server, redis] = [started, started.client(PASSWORD)]),
);
beforeAll(async () => {
  ensureBuilt();
});
afterAll(async () => {
  expect(log.leaks(PASSWORD)).toEqual([]);
});

/** Entries pending in the groups of these targets, summed. */
async function pendingIn(redis: Redis, targets: readonly { stream: string; group: string }[]): Promise<number> {
  let sum = 0;
  for (const { stream, group } of targets) sum += ((await redis.call('XPENDING', stream, group)) as [number])[0];
  return sum;
}

describe('SIGKILL at random moments', () => {
  it(`loses nothing over ${ROUNDS} killed rounds on ${ENTRIES} entries, then a final run completes`, async () => {
    const random = seeded(seedFromEnv('kill'));
    const settings = testSettings(server, { HASH_KEY_FIELD: 'k', MAX_DELIVERIES: '5' });
    const { streamName: stream, groupName: group } = settings;
    const { ids, entries, deleted } = await seedBacklog(redis, settings, ENTRIES);

    const env = {
      REDIS_HOST: `127.0.0.1:${server.port}`,
      REDIS_TLS: 'false',
      REDIS_PASSWORD: PASSWORD,
      STREAM_NAME: stream,
      STREAM_CONSUMER_GROUP_NAME: group,
      HASH_KEY_FIELD: 'k',
      MAX_DELIVERIES: '5',
      MIN_IDLE_TIME_SEC: '60',
      // Small pages: many claims and settles in flight to interrupt.
      BATCH_SIZE: '5',
      CONCURRENCY: '2',
    };
    const {
      killed,
      progressed,
      pending: pendingBefore,
    } = await killLoop({
      label: 'kill',
      rounds: ROUNDS,
      total: ENTRIES,
      random,
      start: () => spawnCli(['run', '--json'], env, log),
      pending: () => pendingIn(redis, [{ stream, group }]),
      afterRound: async (_, context) => {
        // A few entries vanish between rounds too (deleted while pending or after being settled).
        const victims = Array.from({ length: 5 }, () => ids[Math.floor(random() * ids.length)] as string);
        await redis.xdel(stream, ...victims);
        for (const v of victims) deleted.add(v);

        // The killed run's claims look abandoned: backdate them instead of waiting.
        await backdateReclaimer(redis, settings);
        const report = await checkInvariant(redis, settings, { entries, deleted });
        expect(report.violations, context).toEqual([]);
        return report.states.pending;
      },
    });
    expect(killed).toBeGreaterThanOrEqual(ROUNDS - 2);
    // Most killed rounds got work done first, so they were killed mid-work, not only at startup.
    expect(progressed).toBeGreaterThanOrEqual(ROUNDS / 3);
    expect(pendingBefore).toBeGreaterThan(0);

    const final = await spawnCli(['run', '--json'], { ...env, BATCH_SIZE: '500', CONCURRENCY: '16' }, log).done;
    expect(final.code, final.stderr).toBe(0);
    expect(JSON.parse(final.stdout)).toMatchObject({ complete: true, failed: 0 });
    const report = await checkInvariant(redis, settings, { entries, deleted }, { final: true });
    expect(report.violations).toEqual([]);
    expect(report.checked).toBe(ENTRIES);
    expect(report.states.pending).toBe(0);
    expect(report.states.hashed + report.states['dead-lettered'] + report.states.orphan).toBe(ENTRIES);
    console.log(
      `[kill] rounds=${ROUNDS} killed=${killed} progressed=${progressed} entries=${ENTRIES} states=${JSON.stringify(report.states)} lost=0`,
    );
  }, 240_000);
});

describe('SIGKILL at random moments, a run over several targets', () => {
  // Three streams × two groups: six targets, two groups on each stream sharing its hashes and
  // dead-letter stream; the small stream is listed first, so its targets finish while others run.
  const SIZES = [ENTRIES / 25, (ENTRIES * 3) / 25, (ENTRIES * 6) / 25].map(Math.floor);
  it(`loses nothing on any of 6 targets over ${ROUNDS} killed rounds, then a final run completes`, async () => {
    const random = seeded(seedFromEnv('kill-targets'));
    const groups = [uniqueName('g1'), uniqueName('g2')];
    const streams = SIZES.map((_, i) => uniqueName(`s${i}`));
    const backlogs = new Map<string, SeededBacklog>();
    for (const [i, stream] of streams.entries())
      backlogs.set(stream, await seedGroups(redis, stream, groups, SIZES[i] as number, 5));
    // Each target's keys as the product derives them by default: `<stream>:dlq`, `<stream>:`.
    const targets = streams.flatMap((stream) =>
      groups.map((group) => ({
        stream,
        group,
        cfg: testSettings(server, {
          STREAM_NAME: stream,
          STREAM_CONSUMER_GROUP_NAME: group,
          HASH_KEY_FIELD: 'k',
          MAX_DELIVERIES: '5',
        }),
        backlog: (): Backlog => ({
          ...(backlogs.get(stream) as SeededBacklog),
          siblings: groups.filter((g) => g !== group),
        }),
      })),
    );
    const check = async (label: string, options: { final?: boolean } = {}): Promise<InvariantReport[]> => {
      const reports: InvariantReport[] = [];
      for (const t of targets) {
        await backdateReclaimer(redis, t.cfg);
        const report = await checkInvariant(redis, t.cfg, t.backlog(), options);
        expect(report.violations, `${label}, target ${t.stream} / ${t.group}`).toEqual([]);
        reports.push(report);
      }
      return reports;
    };

    const env = {
      REDIS_HOST: `127.0.0.1:${server.port}`,
      REDIS_TLS: 'false',
      REDIS_PASSWORD: PASSWORD,
      STREAM_NAME: streams.join(','),
      STREAM_CONSUMER_GROUP_NAME: groups.join(','),
      HASH_KEY_FIELD: 'k',
      MAX_DELIVERIES: '5',
      MIN_IDLE_TIME_SEC: '60',
      BATCH_SIZE: '5',
      CONCURRENCY: '2',
    };
    const total = SIZES.reduce((n, size) => n + size * groups.length, 0);
    const {
      killed,
      progressed,
      pending: pendingBefore,
    } = await killLoop({
      label: 'kill-targets',
      rounds: ROUNDS,
      total,
      random,
      start: () => spawnCli(['run', '--json'], env, log),
      pending: () => pendingIn(redis, targets),
      afterRound: async (_, context) => {
        for (const [stream, { ids, deleted }] of backlogs) {
          const victims = Array.from({ length: 2 }, () => ids[Math.floor(random() * ids.length)] as string);
          await redis.xdel(stream, ...victims);
          for (const v of victims) deleted.add(v);
        }
        return (await check(context)).reduce((n, r) => n + r.states.pending, 0);
      },
    });
    expect(killed).toBeGreaterThanOrEqual(ROUNDS - 2);
    expect(progressed).toBeGreaterThanOrEqual(ROUNDS / 3);
    expect(pendingBefore).toBeGreaterThan(0);

    const final = await spawnCli(['run', '--json'], { ...env, BATCH_SIZE: '500', CONCURRENCY: '16' }, log).done;
    expect(final.code, final.stderr).toBe(0);
    const summary = JSON.parse(final.stdout) as RunSummary;
    expect(summary).toMatchObject({ complete: true, failed: 0 });
    expect((summary.targets ?? []).map((t) => `${t.stream}/${t.group}`)).toEqual(
      targets.map((t) => `${t.stream}/${t.group}`),
    );
    const reports = await check('final run', { final: true });
    reports.forEach((report, i) => {
      const size = SIZES[Math.floor(i / groups.length)] as number;
      expect(report.checked).toBe(size);
      expect(report.states.pending).toBe(0);
      expect(report.states.hashed + report.states['dead-lettered'] + report.states.orphan).toBe(size);
    });
    console.log(
      `[kill-targets] rounds=${ROUNDS} killed=${killed} progressed=${progressed} targets=${targets.length} states=${JSON.stringify(reports.map((r) => r.states))} lost=0`,
    );
  }, 240_000);
});
