/**
 * Parallel reclaimers: four runs at once on one backlog, round after round (each round adds a
 * new crashed backlog). Each entry is processed by exactly one run, dead-lettered at most once.
 * Then four runs at once over the same six targets (three streams × two groups), two naming the
 * streams and two finding them by STREAM_PATTERN: each entry is processed once per group, each
 * target's counts add up across the runs, and the invariant holds on every target.
 */
import type Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import { buildKeys } from '../../src/redis/keys';
import { createHashWriter, type Processor } from '../../src/reclaim/process';
import { runReclaim, type Summary } from '../../src/reclaim/run';
import { runTargets, type RunSummary } from '../../src/reclaim/run-targets';
import { testSettings, uniqueName } from '../helpers/backlog';
import { checkInvariant, type Backlog, type Fields } from '../helpers/invariant';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';
import { seedBacklog, seedGroups } from './support';

const RUNNERS = 4;
const ROUNDS = 5;
const PER_ROUND = 4_000;

let server: RedisServer;
let redis: Redis;

const connections = useRedis({}, (started) => ([server, redis] = [started, started.client()]));

/** The hash writer, recording which runner processed which entry. */
function counting(label: string, writer: Processor, seen: Map<string, string[]>): Processor {
  return {
    async process(entry, source) {
      seen.set(entry.id, [...(seen.get(entry.id) ?? []), label]);
      return writer.process(entry, source);
    },
  };
}

describe(`${RUNNERS} reclaimers at once`, () => {
  it(`process each entry exactly once and dead-letter none twice, over ${ROUNDS} rounds`, async () => {
    const settings = testSettings(server, {
      HASH_KEY_FIELD: 'k',
      MAX_DELIVERIES: '5',
      BATCH_SIZE: '50',
      CONCURRENCY: '8',
    });
    const clients: RedisClient[] = [];
    for (let i = 0; i < RUNNERS; i++) clients.push(await connections.open(settings));
    const writer = createHashWriter(buildKeys(settings), settings.hashKeyField);
    const entries = new Map<string, Fields>();
    const deleted = new Set<string>();
    const seen = new Map<string, string[]>();
    let expectedWork = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const backlog = await seedBacklog(redis, settings, PER_ROUND, round * PER_ROUND);
      backlog.entries.forEach((f, id) => entries.set(id, f));
      backlog.deleted.forEach((id) => deleted.add(id));
      const summaries: Summary[] = await Promise.all(
        clients.map((client, i) => runReclaim({ client, settings, processor: counting(`r${i}`, writer, seen) })),
      );
      const sum = (k: 'processed' | 'deadLettered' | 'orphaned') => summaries.reduce((n, s) => n + s[k], 0);
      const workable = backlog.ids.filter(
        (_, i) => i % 40 !== 3 && (i + round * PER_ROUND) % 50 !== 7 && i % 100 !== 11,
      ).length;
      expectedWork += workable;
      // The work was really shared, and every entry was settled by exactly one run.
      expect(summaries.filter((s) => s.processed > 0).length, JSON.stringify(summaries)).toBeGreaterThanOrEqual(2);
      expect(sum('processed')).toBe(workable);
      expect(sum('deadLettered')).toBe(PER_ROUND - workable - backlog.deleted.size);
      expect(sum('orphaned')).toBeGreaterThanOrEqual(backlog.deleted.size);
      expect(summaries.every((s) => s.failed === 0 && s.complete)).toBe(true);
    }

    // A processor saw each workable entry once: no entry was processed by two runs.
    const twice = [...seen].filter(([, runs]) => runs.length !== 1);
    expect(twice).toEqual([]);
    expect(seen.size).toBe(expectedWork);
    const report = await checkInvariant(redis, settings, { entries, deleted }, { final: true });
    expect(report.violations).toEqual([]);
    expect(report.states.hashed).toBe(expectedWork);
    console.log(
      `[parallel] runners=${RUNNERS} rounds=${ROUNDS} entries=${report.checked} states=${JSON.stringify(report.states)} lost=0`,
    );
  }, 120_000);
});

describe(`${RUNNERS} runs over several targets at once`, () => {
  // Three streams × two groups; half the runs name the streams, half find them by pattern.
  const GROUPS = 2;
  const SIZES = [500, 1_000, 1_500];
  const workable = (ids: readonly string[], offset: number): number =>
    ids.filter((_, i) => i % 40 !== 3 && (i + offset) % 50 !== 7 && i % 100 !== 11).length;

  /**
   * A hash writer for every target, keyed by the source the run hands it. Each entry's `src`
   * field names the stream it was written to: a source that disagrees is recorded as such.
   */
  function countingAll(label: string, seen: Map<string, string[]>): Processor {
    return {
      async process(entry, source) {
        const field = (name: string): string =>
          String(entry.fields[entry.fields.findIndex((f) => f.toString() === name) + 1]);
        const at = `${source.stream === field('src') ? source.stream : `wrong source ${source.stream}`} ${source.group} ${entry.id}`;
        seen.set(at, [...(seen.get(at) ?? []), label]);
        return { key: Buffer.from(`${source.stream}:${field('k')}`), fields: entry.fields };
      },
    };
  }

  // A counting processor runs the general path; the built-in hash writer the fast path (scripts),
  // where the runs' per-target counts are the record of who settled what.
  it.each([
    ['a counting processor', true],
    ['the built-in hash writer', false],
  ])(
    `with %s: each entry settled once per group, none dead-lettered twice, on every target, over ${ROUNDS} rounds`,
    async (_, counting) => {
      const prefix = uniqueName('par');
      const streams = SIZES.map((_, i) => `${prefix}:s${i}`);
      const groups = Array.from({ length: GROUPS }, (_, i) => uniqueName(`g${i}`));
      const common = {
        STREAM_CONSUMER_GROUP_NAME: groups.join(','),
        HASH_KEY_FIELD: 'k',
        MAX_DELIVERIES: '5',
        BATCH_SIZE: '50',
        CONCURRENCY: '8',
      };
      const byList = testSettings(server, { ...common, STREAM_NAME: streams.join(',') });
      const byPattern = testSettings(server, { ...common, STREAM_NAME: '', STREAM_PATTERN: `${prefix}:*` });
      const runners = await Promise.all(
        Array.from({ length: RUNNERS }, async (_, i) => {
          const settings = i % 2 === 0 ? byList : byPattern;
          return { settings, client: await connections.open(settings) };
        }),
      );
      const backlogs = new Map(
        streams.map((s) => [s, { entries: new Map<string, Fields>(), deleted: new Set<string>() }]),
      );
      const seen = new Map<string, string[]>();
      let expectedWork = 0;

      for (let round = 0; round < ROUNDS; round++) {
        const expected = new Map<string, { processed: number; deadLettered: number; deleted: number }>();
        for (const [i, stream] of streams.entries()) {
          const n = SIZES[i] as number;
          const seededNow = await seedGroups(redis, stream, groups, n, 5, round * n);
          seededNow.entries.forEach((f, id) => backlogs.get(stream)?.entries.set(id, f));
          seededNow.deleted.forEach((id) => backlogs.get(stream)?.deleted.add(id));
          const work = workable(seededNow.ids, round * n);
          for (const g of groups)
            expected.set(`${stream}/${g}`, {
              processed: work,
              deadLettered: n - work - seededNow.deleted.size,
              deleted: seededNow.deleted.size,
            });
          expectedWork += work * groups.length;
        }
        const summaries: RunSummary[] = await Promise.all(
          runners.map(({ settings, client }, i) =>
            runTargets({ client, settings, processor: counting ? countingAll(`r${i}`, seen) : undefined }),
          ),
        );
        // The work was really shared, and every target's entries were settled by exactly one run each.
        expect(summaries.filter((s) => s.processed > 0).length, JSON.stringify(summaries)).toBeGreaterThanOrEqual(2);
        for (const s of summaries) expect(s).toMatchObject({ failed: 0, complete: true });
        for (const [target, want] of expected) {
          const own = summaries.flatMap((s) =>
            (s.targets ?? []).filter((t): t is Summary => `${t.stream}/${t.group}` === target && !('error' in t)),
          );
          expect(own, target).toHaveLength(RUNNERS);
          const sum = (k: 'processed' | 'deadLettered' | 'orphaned'): number => own.reduce((n, t) => n + t[k], 0);
          expect([sum('processed'), sum('deadLettered')], target).toEqual([want.processed, want.deadLettered]);
          expect(sum('orphaned'), target).toBeGreaterThanOrEqual(want.deleted);
        }
      }

      // Each entry was processed once per group (two groups on every stream), never twice by one,
      // and handed to the processor with the stream it came from.
      if (counting) {
        const wrong = [...seen].filter(([at, runs]) => runs.length !== 1 || at.startsWith('wrong source'));
        expect(wrong).toEqual([]);
        expect(seen.size).toBe(expectedWork);
      }
      for (const stream of streams) {
        for (const group of groups) {
          const cfg = testSettings(server, {
            STREAM_NAME: stream,
            STREAM_CONSUMER_GROUP_NAME: group,
            HASH_KEY_FIELD: 'k',
          });
          const backlog = { ...(backlogs.get(stream) as Backlog), siblings: groups.filter((g) => g !== group) };
          const report = await checkInvariant(redis, cfg, backlog, { final: true });
          expect(report.violations, `${stream} / ${group}`).toEqual([]);
          console.log(
            `[parallel-targets] ${stream} / ${group}: entries=${report.checked} states=${JSON.stringify(report.states)} lost=0`,
          );
        }
      }
    },
    120_000,
  );
});
