/**
 * The retry policy's new branches in hostile states, on every settling path (fast, general; on a
 * cluster target also the split path with an untagged dead-letter stream): entries too wide for
 * one Lua call are requeued whole (the client's MULTI) and dead-lettered whole over their copies,
 * a dead-letter key of another type fails the run before any write, and maxmemory refuses the
 * first copy with nothing changed. After each case the invariant (with requeued copies) holds.
 */
import { describe, expect, it } from 'vitest';
import { WrongTypeError } from '../../src/errors';
import { runReclaim } from '../../src/reclaim/run';
// Exclusive ranges are 6.2+: the ID after, for 6.0 too.
import { nextId } from '../../src/reclaim/scan';
import type { Settings } from '../../src/config/settings';
import {
  addEntries,
  createGroup,
  pendingOf,
  readAsConsumer,
  testSettings,
  uniqueName,
  type Fields,
} from '../helpers/backlog';
import { readDeadLetters } from '../helpers/dlq';
import { checkInvariant } from '../helpers/invariant';
import {
  clusterUnderTest,
  setMaxmemory,
  snapshotKeys,
  type TestClient,
  type ServerUnderTest,
} from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

const IDLE_MS = 600_000;
/** 10,000 fields: far past the ~8,000 values Lua passes to one command. */
const wide = (tag: string): string[] => [
  'tag',
  tag,
  ...Array.from({ length: 10_000 }, (_, i) => [`f${i}`, `v${i}`]).flat(),
];

const paths: [string, boolean, boolean][] = [
  ['fast path', true, false],
  ['general path', false, false],
  ...(clusterUnderTest()
    ? ([['split path (cluster, untagged keys)', false, true]] as [string, boolean, boolean][])
    : []),
];

describe.each(paths)('requeue on the %s', (_label, fastPath, untagged) => {
  const setup = async (
    env: Record<string, string> = {},
  ): Promise<{ settings: Settings; run: () => ReturnType<typeof runReclaim> }> => {
    const dlq: Record<string, string> = untagged ? { DEAD_LETTER_STREAM: uniqueName('dlq') } : {};
    const settings = testSettings(server, { RECLAIM_ACTION: 'requeue', MAX_DELIVERIES: '3', ...dlq, ...env });
    const client = await connections.open(settings);
    return { settings, run: () => runReclaim({ client, settings, fastPath }) };
  };
  const crashed = async (
    settings: Settings,
    fields: Fields[],
    deliveries = 1,
  ): Promise<{ ids: string[]; entries: Map<string, Fields> }> => {
    const ids = await addEntries(redis, settings.streamName, fields);
    await createGroup(redis, settings.streamName, settings.groupName);
    await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', ids.length, {
      idleMs: IDLE_MS,
      deliveries,
    });
    return { ids, entries: new Map(ids.map((id, i) => [id, fields[i] as Fields])) };
  };
  const invariant = async (settings: Settings, entries: Map<string, Fields>): Promise<void> => {
    const report = await checkInvariant(redis, settings, { entries, requeue: true }, { final: true });
    expect(report.violations).toEqual([]);
  };

  it('entries of 10,000 fields: requeued whole, once; their copies dead-lettered whole at the limit', async () => {
    const { settings, run } = await setup();
    const { ids, entries } = await crashed(settings, [wide('a'), ['tag', 'small'], wide('b')]);
    expect(await run()).toMatchObject({ requeued: 3, failed: 0, skipped: 0, complete: true });
    const copies = (await redis.xrangeBuffer(settings.streamName, nextId(ids[2] as string), '+')) as [
      Buffer,
      Buffer[],
    ][];
    const byOrigin = new Map(copies.map(([, f]) => [String(f.at(-3)), f.map(String)]));
    expect(byOrigin.get(ids[0] as string)).toEqual([...wide('a'), 'reclaim.origin', ids[0], 'reclaim.deliveries', '1']);
    expect(byOrigin.get(ids[1] as string)).toEqual([
      'tag',
      'small',
      'reclaim.origin',
      ids[1],
      'reclaim.deliveries',
      '1',
    ]);
    expect(byOrigin.get(ids[2] as string)).toEqual([...wide('b'), 'reclaim.origin', ids[2], 'reclaim.deliveries', '1']);
    expect(copies).toHaveLength(3);
    await invariant(settings, entries);

    // The copies, read and crashed on twice more: total 3 = MAX_DELIVERIES, dead-lettered whole.
    await readAsConsumer(redis, settings.streamName, settings.groupName, 'live', 3, { idleMs: IDLE_MS, deliveries: 2 });
    expect(await run()).toMatchObject({ deadLettered: 3, requeued: 0, failed: 0 });
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    expect(records.map((r) => [r.meta['dlq.deliveries'], r.original.length]).sort()).toEqual([
      ['3', 20_006],
      ['3', 20_006],
      ['3', 6],
    ]);
    expect(await pendingOf(redis, settings.streamName, settings.groupName)).toEqual([]);
    await invariant(settings, entries);
  });

  it('a dead-letter key of another type: fails before any write, naming that key', async () => {
    const { settings, run } = await setup();
    await crashed(settings, [
      ['tag', 'a'],
      ['tag', 'b'],
    ]);
    await redis.set(settings.deadLetterStream, 'x');
    const before = await snapshotKeys(redis);
    const failure = await run().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WrongTypeError);
    expect((failure as Error).message).toContain(`Dead-letter key \`${settings.deadLetterStream}\``);
    expect(await snapshotKeys(redis)).toEqual(before);
  });

  it('maxmemory (noeviction): the first copy is refused, the run says so, no copy is made, nothing is lost; requeues once memory is back', async () => {
    // MIN_IDLE 0: entries the failed run claimed (general path) are reclaimable again at once.
    const { settings, run } = await setup({ MIN_IDLE_TIME_SEC: '0' });
    const { entries } = await crashed(
      settings,
      Array.from({ length: 8 }, (_, i) => ['tag', `t${i}`]),
    );
    const length = await redis.xlen(settings.streamName);
    await setMaxmemory(redis, 1);
    try {
      await expect(run()).rejects.toThrow(/out of memory/);
      expect(await redis.xlen(settings.streamName)).toBe(length);
      expect(await pendingOf(redis, settings.streamName, settings.groupName)).toHaveLength(8);
    } finally {
      await setMaxmemory(redis, 0);
    }
    expect(await run()).toMatchObject({ requeued: 8, failed: 0 });
    await invariant(settings, entries);
  });
});
