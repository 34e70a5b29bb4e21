/**
 * A target's several turns in one run (issue 26): a later turn resumes after the last pending ID
 * the earlier one covered, so `scanned` (and `failed`) count each entry once per run; a target
 * whose later turn fails keeps the counts of its earlier turns beside its error, and the totals
 * include them. The budget is spent on an injected clock (one tick per page settled, by any
 * target), so how many turns there are never depends on the wall clock. Runs on a cluster too
 * (.ci/run CORE).
 */
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import { runTargets, type RunSummary } from '../../src/reclaim/run-targets';
import type { Summary } from '../../src/reclaim/run';
import type { Entry } from '../../src/reclaim/process';
import type { Settings } from '../../src/config/settings';
import { UnprocessableEntryError } from '../../src/errors';
import { collectTargetStatus } from '../../src/ops/target-stats';
import { addEntries, createGroup, readAsConsumer, testSettings, tweet, uniqueName } from '../helpers/backlog';
import { checkInvariant } from '../helpers/invariant';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

/** Stream keys of one shard (one hash tag on a cluster): more targets wait than run at once. */
const oneShard = (): ((label: string) => string) => {
  const tag = uniqueName('shard');
  return (label) => (server.cluster ? `{${tag}}:${uniqueName(label)}` : uniqueName(label));
};

async function setup(env: Record<string, string>): Promise<{ settings: Settings; client: RedisClient }> {
  const settings = testSettings(server, env);
  return { settings, client: await connections.open(settings) };
}

async function backlog(stream: string, group: string, n: number): Promise<Map<string, string[]>> {
  const entries = Array.from({ length: n }, (_, i) => tweet(i));
  const ids = await addEntries(redis, stream, entries);
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, 'crashed', n, { idleMs: 600_000 });
  return new Map(ids.map((id, i) => [id, entries[i] as string[]]));
}

/** Counts `run started` lines per stream: one per turn. */
function turnCounter(): {
  logger: { info: (m: string, f?: Record<string, unknown>) => void; warn: () => void; error: () => void };
  turns: Map<string, number>;
} {
  const turns = new Map<string, number>();
  return {
    turns,
    logger: {
      info: (message, fields) => {
        if (message === 'run started') turns.set(String(fields?.stream), (turns.get(String(fields?.stream)) ?? 0) + 1);
      },
      warn: () => undefined,
      error: () => undefined,
    },
  };
}

const ran = (s: RunSummary): Summary[] => (s.targets ?? []).filter((t): t is Summary => !('error' in t));
const pendingCount = async (stream: string, group: string): Promise<number> =>
  Number(((await redis.xpending(stream, group)) as [number])[0]);

/**
 * A big target among small ones on one shard, a budget of 100 ticks: its first turn's share (half
 * of it: two rounds of four) runs out with work left, and once the small ones are done it gets a
 * second turn from what is left.
 */
async function bigAmongSmall(
  env: Record<string, string> = {},
): Promise<{ x: string; small: string[]; group: string; settings: Settings; client: RedisClient }> {
  const at = oneShard();
  const [x, ...small] = [at('x'), at('s1'), at('s2'), at('s3'), at('s4')];
  const group = uniqueName('g');
  await backlog(x, group, 700);
  for (const s of small) await backlog(s, group, 15);
  const { settings, client } = await setup({
    STREAM_NAME: [x, ...small].join(','),
    STREAM_CONSUMER_GROUP_NAME: group,
    BATCH_SIZE: '10',
    ...env,
  });
  return { x, small, group, settings: { ...settings, maxRunMs: 100 }, client };
}

describe('a target over several turns of one run', () => {
  it('a dry run resumes where its earlier turn stopped: each entry is scanned once, and the PEL is covered', async () => {
    const { x, small, settings, client } = await bigAmongSmall({ DRY_RUN: 'true' });
    const { logger, turns } = turnCounter();
    let pages = 0;
    const summary = await runTargets({ client, settings, logger, now: () => pages, onProgress: () => void pages++ });

    expect(turns.get(x), JSON.stringify([...turns])).toBeGreaterThanOrEqual(2);
    expect(ran(summary).map((t) => [t.stream, t.scanned, t.complete])).toEqual([
      [x, 700, true],
      ...small.map((s) => [s, 15, true]),
    ]);
    expect(summary).toMatchObject({ scanned: 760, complete: true, dryRun: true });
  });

  it('an entry left pending by an earlier turn is not delivered again by a later one (MIN_IDLE_TIME_SEC=0): it fails once', async () => {
    const { x, group, settings, client } = await bigAmongSmall({ MIN_IDLE_TIME_SEC: '0' });
    const failing = new Set((await redis.xrange(x, '-', '+')).filter((_, i) => i % 3 === 0).map(([id]) => id));
    // Every third entry of x fails: it stays pending, claimed (idle 0), before where a later turn resumes.
    const processor = {
      process: async (entry: Entry, source: { stream: string }) => {
        if (source.stream === x && failing.has(entry.id)) throw new Error('not now');
      },
    };
    const { logger, turns } = turnCounter();
    let pages = 0;
    const summary = await runTargets({
      client,
      settings,
      processor,
      logger,
      now: () => pages,
      onProgress: () => void pages++,
    });

    expect(turns.get(x), JSON.stringify([...turns])).toBeGreaterThanOrEqual(2);
    expect(ran(summary)[0]).toMatchObject({
      stream: x,
      scanned: 700,
      claimed: 700,
      failed: 234,
      processed: 466,
      complete: true,
    });
    // Delivered once more by this run (the crashed consumer's delivery, then the reclaimer's): never twice.
    expect((await redis.xpending(x, group, '-', '+', 1000)).map((row) => Number((row as unknown[])[3]))).toEqual(
      [...failing].map(() => 2),
    );
  });

  it('the fast path resumes too: every entry is reclaimed once over the turns, nothing skipped', async () => {
    const { x, small, group, settings, client } = await bigAmongSmall();
    const entries = new Map((await redis.xrange(x, '-', '+')).map(([id, fields]) => [id, fields]));
    const { logger, turns } = turnCounter();
    let pages = 0;
    const summary = await runTargets({ client, settings, logger, now: () => pages, onProgress: () => void pages++ });

    expect(turns.get(x), JSON.stringify([...turns])).toBeGreaterThanOrEqual(2);
    expect(ran(summary).map((t) => [t.scanned, t.processed, t.complete])).toEqual([
      [700, 700, true],
      ...small.map(() => [15, 15, true]),
    ]);
    const cfg = { ...settings, streamName: x, groupName: group, deadLetterStream: `${x}:dlq`, hashKeyPrefix: `${x}:` };
    expect((await checkInvariant(redis, cfg, { entries }, { final: true })).violations).toEqual([]);
  });

  it("a target whose later turn fails keeps its earlier turns' counts beside its error; the totals include them", async () => {
    const { x, group, settings, client } = await bigAmongSmall();
    const { logger, turns } = turnCounter();
    // In x's second turn its dead-letter key becomes a string, and the entry is unprocessable: its
    // dead-letter script refuses before any write, and the turn fails.
    let broken = false;
    const processor = {
      process: async (_: Entry, source: { stream: string }) => {
        if (source.stream !== x || (turns.get(x) ?? 0) < 2) return;
        if (!broken) await redis.set(`${x}:dlq`, 'not a stream');
        broken = true;
        throw new UnprocessableEntryError('cannot');
      },
    };
    let pages = 0;
    const summary = await runTargets({
      client,
      settings,
      processor,
      logger,
      now: () => pages,
      onProgress: () => void pages++,
    });

    expect(broken).toBe(true);
    const failed = summary.targets?.[0] as unknown as Record<string, unknown>;
    expect(failed).toMatchObject({ stream: x, group, error: expect.stringContaining(`Dead-letter key \`${x}:dlq\``) });
    // What x did before it failed is done and recorded: exactly its acknowledged entries.
    const acked = 700 - (await pendingCount(x, group));
    expect(acked).toBeGreaterThan(0);
    expect(failed).toMatchObject({ processed: acked, deadLettered: 0 });
    expect(Number(failed.scanned)).toBeGreaterThanOrEqual(acked);
    expect(ran(summary).map((t) => [t.processed, t.complete])).toEqual([
      [15, true],
      [15, true],
      [15, true],
      [15, true],
    ]);
    expect(summary).toMatchObject({ processed: 60 + acked, scanned: 60 + Number(failed.scanned), complete: false });
  });
});

describe('/api/status discovery, bounded', () => {
  it('within the bound: every matching stream; past it: the streams found so far, `partial`, and how far it got (injected clock)', async () => {
    const prefix = uniqueName('st');
    const tag = (s: string): string => (server.cluster ? `{${prefix}}:${s}` : `${prefix}:${s}`);
    const group = uniqueName('g');
    for (const s of ['a', 'b']) await backlog(tag(s), group, 2);
    // 5,000 other keys (a slot's worth per pipeline, for a cluster): SCAN needs several calls.
    for (let j = 0; j < 50; j++) {
      const batch = redis.pipeline();
      for (let i = 0; i < 100; i++) batch.set(`{fill-${prefix}-${j}}:${i}`, 'x');
      await batch.exec();
    }
    const { settings, client } = await setup({
      STREAM_NAME: '',
      STREAM_PATTERN: `*${prefix}*`,
      STREAM_CONSUMER_GROUP_NAME: group,
    });

    const whole = await collectTargetStatus(client, settings, { sample: 0 });
    expect(whole).not.toHaveProperty('partial');
    expect(whole.targets.map((t) => t.stream)).toEqual([tag('a'), tag('b')]);

    let tick = 0;
    const cut = await collectTargetStatus(client, settings, { sample: 0, discoveryMs: 2, now: () => tick++ });
    expect(cut.partial).toBe(true);
    const masters = server.cluster ? 3 : 1;
    expect(cut.reason).toContain(
      `took longer than 0.002 s (1 SCAN calls of 1000 keys, 0 of ${masters} masters done): only the ${cut.targets.length} streams found by then are listed`,
    );
    expect(cut.targets.every((t) => [tag('a'), tag('b')].includes(t.stream) && !('error' in t))).toBe(true);
  });
});
