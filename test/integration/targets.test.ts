/**
 * One run over several targets (issue 18): lists of streams × groups, `*` groups, STREAM_PATTERN
 * discovery (foreign keys and dead-letter streams matching it), a missing listed group, the CLI's
 * summary telling a missing stream from a missing group per target, the shared budget spent
 * fairly (injected clock), the summary's totals, the invariant per target.
 */
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import { runTargets, type RunSummary, type TargetSummary } from '../../src/reclaim/run-targets';
import type { Summary } from '../../src/reclaim/run';
import { discoverStreams } from '../../src/reclaim/targets';
import { DiscoveryTimeoutError } from '../../src/errors';
import { describeServer, type Settings } from '../../src/config/settings';
import { addEntries, createGroup, readAsConsumer, testSettings, tweet, uniqueName } from '../helpers/backlog';
import { checkInvariant } from '../helpers/invariant';
import { runCli } from '../helpers/cli';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

/** A stream key of this test: hash-tagged on a cluster target, so its keys share a slot. */
const key = (label: string): string => (server.cluster ? `{${uniqueName(label)}}` : uniqueName(label));
/**
 * Stream keys of one shard, for the budget tests: there, more targets wait than run at once on a
 * cluster too. (Shards side by side: test/unit/reclaim/fair-share.test.ts and cluster.test.ts.)
 */
const oneShard = (): ((label: string) => string) => {
  const tag = uniqueName('shard');
  return (label) => (server.cluster ? `{${tag}}:${uniqueName(label)}` : uniqueName(label));
};

async function setup(env: Record<string, string>): Promise<{ settings: Settings; client: RedisClient }> {
  const settings = testSettings(server, env);
  return { settings, client: await connections.open(settings) };
}

/** `n` idle pending entries of a crashed consumer in `group` (created on the stream if new). */
async function backlog(stream: string, group: string, n: number): Promise<Map<string, string[]>> {
  const entries = Array.from({ length: n }, (_, i) => tweet(i));
  const ids = await addEntries(redis, stream, entries);
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, 'crashed', n, { idleMs: 600_000 });
  return new Map(ids.map((id, i) => [id, entries[i] as string[]]));
}

const ran = (s: RunSummary): Summary[] => (s.targets ?? []).filter((t): t is Summary => !('error' in t));
const pairsOf = (targets: readonly TargetSummary[]): string[] => targets.map((t) => `${t.stream}/${t.group}`);

async function expectInvariant(
  settings: Settings,
  stream: string,
  group: string,
  entries: Map<string, string[]>,
): Promise<void> {
  const cfg = {
    ...settings,
    streamName: stream,
    groupName: group,
    deadLetterStream: `${stream}:dlq`,
    hashKeyPrefix: `${stream}:`,
  };
  const report = await checkInvariant(redis, cfg, { entries }, { final: true });
  expect(report.violations).toEqual([]);
}

function expectTotals(summary: RunSummary): void {
  const sum = (field: keyof Summary): number => ran(summary).reduce((n, t) => n + Number(t[field]), 0);
  for (const field of [
    'scanned',
    'claimed',
    'processed',
    'deadLettered',
    'orphaned',
    'failed',
    'skipped',
    'deregistered',
  ] as const) {
    expect(summary[field], field).toBe(sum(field));
  }
}

describe('a run over several targets', () => {
  it('covers each listed stream × each listed group, totals the sum of the targets', async () => {
    const [a, b] = [key('a'), key('b')];
    const [g1, g2] = [uniqueName('g1'), uniqueName('g2')];
    const seeded = new Map<string, Map<string, string[]>>();
    for (const [s, g, n] of [
      [a, g1, 30],
      [a, g2, 20],
      [b, g1, 10],
      [b, g2, 5],
    ] as const)
      seeded.set(`${s}/${g}`, await backlog(s, g, n));
    const { settings, client } = await setup({
      STREAM_NAME: `${a}, ${b}`,
      STREAM_CONSUMER_GROUP_NAME: `${g1},${g2}`,
      BATCH_SIZE: '7',
    });

    const summary = await runTargets({ client, settings });

    expect(pairsOf(summary.targets ?? [])).toEqual([`${a}/${g1}`, `${a}/${g2}`, `${b}/${g1}`, `${b}/${g2}`]);
    expect(ran(summary).map((t) => t.processed)).toEqual([30, 20, 10, 5]);
    expect(summary).toMatchObject({
      stream: `${a}, ${b}`,
      group: `${g1},${g2}`,
      processed: 65,
      complete: true,
      stopReason: 'covered',
    });
    expectTotals(summary);
    for (const [pair, entries] of seeded) {
      const [s, g] = pair.split('/') as [string, string];
      await expectInvariant(settings, s, g, entries);
    }
  });

  it('`*` takes every group of each listed stream', async () => {
    const [a, b] = [key('a'), key('b')];
    const [g1, g2, g3] = [uniqueName('g1'), uniqueName('g2'), uniqueName('g3')];
    await backlog(a, g1, 4);
    await backlog(a, g2, 3);
    await backlog(b, g3, 2);
    const { settings, client } = await setup({ STREAM_NAME: `${a},${b}`, STREAM_CONSUMER_GROUP_NAME: '*' });

    const summary = await runTargets({ client, settings });

    expect(pairsOf(summary.targets ?? []).sort()).toEqual([`${a}/${g1}`, `${a}/${g2}`, `${b}/${g3}`].sort());
    expect(summary).toMatchObject({ group: '*', processed: 9, complete: true });
    expectTotals(summary);
  });

  it('STREAM_PATTERN: streams matching it, not foreign keys, not dead-letter streams, not streams lacking the group', async () => {
    const prefix = uniqueName('p');
    const tag = (s: string): string => (server.cluster ? `{${prefix}}:${s}` : `${prefix}:${s}`);
    const group = uniqueName('g');
    await backlog(tag('s1'), group, 6);
    const s2 = await backlog(tag('s2'), group, 4);
    // A dead-letter stream the product wrote, with a group of that name too: never a target.
    await backlog(tag('s1:dlq'), group, 2);
    await redis.set(tag('text'), 'x');
    await redis.hset(tag('hash'), 'f', 'v');
    await backlog(tag('other'), uniqueName('other-group'), 3);
    const { settings, client } = await setup({
      STREAM_NAME: '',
      STREAM_PATTERN: tag('*'),
      STREAM_CONSUMER_GROUP_NAME: group,
    });

    const summary = await runTargets({ client, settings });

    expect(pairsOf(summary.targets ?? [])).toEqual([`${tag('s1')}/${group}`, `${tag('s2')}/${group}`]);
    expect(summary).toMatchObject({ stream: tag('*'), processed: 10, complete: true });
    expect((await redis.xpending(tag('s1:dlq'), group))[0]).toBe(2);
    // (s1's dead-letter stream holds this test's plain entries, not records: the invariant is checked on s2.)
    await expectInvariant(settings, tag('s2'), group, s2);
    expect(ran(summary).map((t) => [t.processed, t.complete])).toEqual([
      [6, true],
      [4, true],
    ]);
  });

  it('discovery skips an explicit DEAD_LETTER_STREAM that matches the pattern', async () => {
    const prefix = uniqueName('d');
    for (const s of ['x', 'y', 'dead']) await redis.xadd(`${prefix}:${s}`, '*', 'f', 'v');
    expect(await discoverStreams(redis, `${prefix}:*`, `${prefix}:dead`)).toEqual([`${prefix}:x`, `${prefix}:y`]);
    expect(await discoverStreams(redis, `${prefix}:*`, undefined)).toEqual([
      `${prefix}:dead`,
      `${prefix}:x`,
      `${prefix}:y`,
    ]);
  });

  it('discovery bounded by the budget: out of time, a DiscoveryTimeoutError and nothing run; interrupted, an empty interrupted run (injected clock)', async () => {
    const prefix = uniqueName('slow');
    // 5,000 other keys (a slot's worth each per pipeline, for a cluster): SCAN needs several calls.
    for (let j = 0; j < 50; j++) {
      const batch = redis.pipeline();
      for (let i = 0; i < 100; i++) batch.set(`{fill-${prefix}-${j}}:${i}`, 'x');
      await batch.exec();
    }
    const stream = server.cluster ? `{${prefix}}:s` : `${prefix}:s`;
    const group = uniqueName('g');
    await backlog(stream, group, 3);
    const { settings, client } = await setup({
      STREAM_NAME: '',
      STREAM_PATTERN: `*${prefix}*`,
      STREAM_CONSUMER_GROUP_NAME: group,
    });
    let tick = 0;

    // Two ticks: one SCAN call, then the budget is spent.
    const run = runTargets({ client, settings: { ...settings, maxRunMs: 2 }, now: () => tick++ });
    await expect(run).rejects.toThrow(DiscoveryTimeoutError);
    await expect(run).rejects.toThrow(
      new RegExp(
        `\`STREAM_PATTERN\` \`\\*${prefix}\\*\` .* took all of \`MAX_RUN_SEC\` .*1 SCAN calls .*raise \`MAX_RUN_SEC\`, or list the streams in \`STREAM_NAME\``,
      ),
    );
    expect((await redis.xpending(stream, group))[0]).toBe(3);

    const abort = new AbortController();
    abort.abort();
    const interrupted = await runTargets({ client, settings, signal: abort.signal });
    expect(interrupted).toMatchObject({ targets: [], scanned: 0, complete: false, stopReason: 'interrupted' });
    expect((await runTargets({ client, settings })).targets?.map((t) => t.stream)).toEqual([stream]);
  });

  it("a missing listed group is that target's error; the other targets are still reclaimed", async () => {
    const a = key('a');
    const [good, missing] = [uniqueName('good'), uniqueName('missing')];
    const entries = await backlog(a, good, 12);
    const { settings, client } = await setup({ STREAM_NAME: a, STREAM_CONSUMER_GROUP_NAME: `${missing},${good}` });

    const errors: unknown[] = [];
    const logger = {
      info() {},
      warn() {},
      error: (message: string, fields?: unknown) => void errors.push({ message, fields }),
    };
    const summary = await runTargets({ client, settings, logger });

    expect(summary.targets?.[0]).toEqual({
      stream: a,
      group: missing,
      error: expect.stringContaining(`has no consumer group \`${missing}\` (its groups: ${good})`),
    });
    expect(errors).toEqual([{ message: 'target failed', fields: summary.targets?.[0] }]);
    expect(summary.targets?.[1]).toMatchObject({ stream: a, group: good, processed: 12, complete: true });
    expect(summary).toMatchObject({ processed: 12, complete: false });
    await expectInvariant(settings, a, good, entries);
  });

  it('the CLI prints every target, each failed one saying whether its stream or its group is missing and how to create it, then exits 1', async () => {
    const [a, b, absent] = [key('a'), key('b'), key('missing')];
    const [g1, gone] = [uniqueName('g1'), uniqueName('gmissing')];
    await backlog(a, g1, 3);
    await backlog(b, g1, 2);
    const env = {
      REDIS_HOST: server.port ? `${server.host}:${server.port}` : server.host,
      REDIS_TLS: 'false',
      STREAM_NAME: `${a},${b},${absent}`,
      STREAM_CONSUMER_GROUP_NAME: `${g1},${gone}`,
      ...(server.cluster ? { REDIS_CLUSTER: 'true' } : {}),
    };
    const where = describeServer(testSettings(server));
    const noGroup = (s: string): string =>
      `Stream \`${s}\` on ${where} has no consumer group \`${gone}\` (its groups: ${g1}): check \`STREAM_CONSUMER_GROUP_NAME\`, or create the group with XGROUP CREATE ${s} ${gone} $`;
    const noStream = (g: string): string =>
      `Stream \`${absent}\` does not exist on ${where}: check \`STREAM_NAME\`, or create the stream with its consumer group with XGROUP CREATE ${absent} ${g} $ MKSTREAM`;

    const json = await runCli(['run', '--json'], env);
    expect(json.code, json.stderr).toBe(1);
    expect(json.stderr).toContain('4 of 6 targets failed');
    const summary = JSON.parse(json.stdout) as RunSummary;
    expect(summary).toMatchObject({ processed: 5, complete: false });
    expect(summary.targets).toEqual([
      expect.objectContaining({ stream: a, group: g1, processed: 3, complete: true }),
      { stream: a, group: gone, error: noGroup(a) },
      expect.objectContaining({ stream: b, group: g1, processed: 2, complete: true }),
      { stream: b, group: gone, error: noGroup(b) },
      { stream: absent, group: g1, error: noStream(g1) },
      { stream: absent, group: gone, error: noStream(gone) },
    ]);
    // Nothing created for the missing stream or the missing group.
    expect(await redis.exists(absent, `${absent}:dlq`)).toBe(0);

    const human = await runCli(['run'], env);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('4 of 6 targets failed');
    const lines = human.stdout.slice(human.stdout.indexOf('targets (6):')).split('\n').slice(1, 7);
    expect(lines).toEqual([
      `  ${a} / ${g1}: 0 processed, 0 dead-lettered, 0 failed, 0 scanned, complete yes`,
      `  ${a} / ${gone}: FAILED — ${noGroup(a)}`,
      `  ${b} / ${g1}: 0 processed, 0 dead-lettered, 0 failed, 0 scanned, complete yes`,
      `  ${b} / ${gone}: FAILED — ${noGroup(b)}`,
      `  ${absent} / ${g1}: FAILED — ${noStream(g1)}`,
      `  ${absent} / ${gone}: FAILED — ${noStream(gone)}`,
    ]);
  });

  it('shares one budget fairly: small targets complete while a huge one spends it (injected clock)', async () => {
    const at = oneShard();
    const big = at('big');
    const small = [at('s1'), at('s2'), at('s3'), at('s4'), at('s5'), at('s6')];
    const group = uniqueName('g');
    await backlog(big, group, 2_000);
    for (const s of small) await backlog(s, group, 15);
    // BATCH_SIZE 10: the big target needs 200 pages; the clock moves one tick per page settled
    // (by any target), so the budget (120 ticks) runs out long before it is covered, whatever the
    // wall clock does and however the targets' reads of the clock interleave.
    const { settings, client } = await setup({
      STREAM_NAME: [big, ...small].join(','),
      STREAM_CONSUMER_GROUP_NAME: group,
      BATCH_SIZE: '10',
    });
    let pages = 0;
    const summary = await runTargets({
      client,
      settings: { ...settings, maxRunMs: 120 },
      now: () => pages,
      onProgress: () => void pages++,
    });

    const [bigSummary, ...smalls] = ran(summary);
    expect(bigSummary).toMatchObject({ stream: big, complete: false, stopReason: 'budget' });
    expect(bigSummary?.scanned).toBeLessThan(2_000);
    expect(smalls.map((t) => [t.stream, t.complete, t.processed])).toEqual(small.map((s) => [s, true, 15]));
    expect(summary).toMatchObject({ complete: false, stopReason: 'budget' });
    expectTotals(summary);
  });

  it('more huge targets than run at once: each gets a turn, a small one listed last completes (injected clock)', async () => {
    const at = oneShard();
    const huge = [at('h1'), at('h2'), at('h3'), at('h4'), at('h5')];
    const small = at('last');
    const group = uniqueName('g');
    for (const h of huge) await backlog(h, group, 1_200);
    await backlog(small, group, 12);
    const { settings, client } = await setup({
      STREAM_NAME: [...huge, small].join(','),
      STREAM_CONSUMER_GROUP_NAME: group,
      BATCH_SIZE: '10',
    });
    // The clock moves one tick per page settled, as in the test above: each huge one needs 120 pages, all of them 600.
    let pages = 0;
    const summary = await runTargets({
      client,
      settings: { ...settings, maxRunMs: 200 },
      now: () => pages,
      onProgress: () => void pages++,
    });

    const targets = ran(summary);
    expect(targets.at(-1)).toMatchObject({ stream: small, processed: 12, complete: true });
    for (const t of targets.slice(0, -1)) {
      expect(t.stream).toBe(huge[targets.indexOf(t)]);
      expect(t.processed, t.stream).toBeGreaterThan(0);
      expect(t.complete, t.stream).toBe(false);
    }
    expectTotals(summary);
    for (const h of huge)
      expect(Number((await redis.xpending(h, group))[0])).toBe(
        1_200 - (targets.find((t) => t.stream === h)?.processed ?? 0),
      );
  });

  it('interrupted: the targets in flight settle their pages, the ones not started send nothing and say `interrupted`', async () => {
    const at = oneShard();
    const streams = Array.from({ length: 6 }, (_, i) => at(`i${i}`));
    const group = uniqueName('g');
    for (const s of streams) await backlog(s, group, 50);
    const { settings, client } = await setup({
      STREAM_NAME: streams.join(','),
      STREAM_CONSUMER_GROUP_NAME: group,
      BATCH_SIZE: '10',
    });
    const abort = new AbortController();

    // Stopped at the first page settled: four targets are running then (four per shard), two wait.
    const summary = await runTargets({ client, settings, signal: abort.signal, onProgress: () => abort.abort() });
    expect(summary).toMatchObject({ complete: false, stopReason: 'interrupted' });
    expect(ran(summary).map((t) => [t.stopReason, t.complete])).toEqual(streams.map(() => ['interrupted', false]));
    expect(
      ran(summary)
        .slice(4)
        .map((t) => t.scanned),
    ).toEqual([0, 0]);
    expectTotals(summary);

    // Interrupted before it starts: no target sends a command (not even XINFO GROUPS).
    if (!server.cluster) {
      await redis.config('RESETSTAT');
      const before = await runTargets({ client, settings, signal: AbortSignal.abort() });
      expect(ran(before).map((t) => t.stopReason)).toEqual(streams.map(() => 'interrupted'));
      expect(
        (await redis.info('commandstats')).match(/^cmdstat_\w+/gm)?.filter((c) => !/cmdstat_(config|info)$/.test(c)),
      ).toEqual([]);
    }
  });

  it("a single stream and group: exactly today's summary, no `targets`", async () => {
    const { settings, client } = await setup({});
    await backlog(settings.streamName, settings.groupName, 5);
    const summary = await runTargets({ client, settings });
    expect(Object.keys(summary).sort()).toEqual(
      [
        'stream',
        'group',
        'scanned',
        'claimed',
        'processed',
        'deadLettered',
        'orphaned',
        'failed',
        'skipped',
        'deferred',
        'requeued',
        'deregistered',
        'durationMs',
        'complete',
        'stopReason',
        'dryRun',
      ].sort(),
    );
    expect(summary).toMatchObject({
      stream: settings.streamName,
      group: settings.groupName,
      processed: 5,
      complete: true,
    });
  });
});
