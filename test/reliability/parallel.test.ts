/**
 * Parallel reclaimers: four runs at once on one backlog, round after round (each round adds a
 * new crashed backlog). Each entry is processed by exactly one run, dead-lettered at most once.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import { buildKeys } from '../../src/redis/keys';
import { createHashWriter, type Processor } from '../../src/reclaim/process';
import { runReclaim, type Summary } from '../../src/reclaim/run';
import { testSettings } from '../helpers/backlog';
import { checkInvariant, type Fields } from '../helpers/invariant';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { seedBacklog } from './support';
import { trackConnections } from '../helpers/connections';

const RUNNERS = 4;
const ROUNDS = 5;
const PER_ROUND = 4_000;

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

/** The hash writer, recording which runner processed which entry. */
function counting(label: string, writer: Processor, seen: Map<string, string[]>): Processor {
  return {
    async process(entry) {
      seen.set(entry.id, [...(seen.get(entry.id) ?? []), label]);
      return writer.process(entry);
    },
  };
}

describe(`${RUNNERS} reclaimers at once`, () => {
  it(`process each entry exactly once and dead-letter none twice, over ${ROUNDS} rounds`, async () => {
    const settings = testSettings(server, { HASH_KEY_FIELD: 'k', MAX_DELIVERIES: '5', BATCH_SIZE: '50', CONCURRENCY: '8' });
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
      const workable = backlog.ids.filter((_, i) => i % 40 !== 3 && (i + round * PER_ROUND) % 50 !== 7 && i % 100 !== 11).length;
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
    console.log(`[parallel] runners=${RUNNERS} rounds=${ROUNDS} entries=${report.checked} states=${JSON.stringify(report.states)} lost=0`);
  }, 120_000);
});
