/**
 * Failure injection: for the writes each script makes, a state that makes them fail — a key of
 * another type at a hash name or at the dead-letter name, an entry too wide for one Lua call
 * (10,000 fields), maxmemory with noeviction — on every settling path (fast: one script per
 * page; general: claim, process, fenced settle; on a cluster with untagged keys also the split,
 * at-least-once path), against a real server or a real local cluster (TEST_SERVER). After each
 * case every entry is still pending, or hashed and acked, or dead-lettered exactly once, and
 * the next run makes progress. Script-level guards are in script-guards.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { WrongTypeError } from '../../src/errors';
import { runReclaim } from '../../src/reclaim/run';
import type { Settings } from '../../src/config/settings';
import { selectRecords, replayRecords } from '../../src/ops/dlq';
import {
  addEntries,
  createGroup,
  readAsConsumer,
  setPending,
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
const wide = (user?: string): string[] => [
  ...(user === undefined ? [] : ['user', user]),
  ...Array.from({ length: 10_000 }, (_, i) => [`f${i}`, `v${i}`]).flat(),
];

/** A crashed consumer's idle backlog of these entries; `maxed` indexes get MAX_DELIVERIES. */
async function crashed(
  settings: Settings,
  fields: Fields[],
  maxed: number[] = [],
): Promise<{ ids: string[]; entries: Map<string, Fields> }> {
  const ids = await addEntries(redis, settings.streamName, fields);
  await createGroup(redis, settings.streamName, settings.groupName);
  await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', ids.length, { idleMs: IDLE_MS });
  const over = maxed.map((i) => ids[i] as string);
  if (over.length > 0)
    await setPending(redis, settings.streamName, settings.groupName, 'crashed', over, IDLE_MS, settings.maxDeliveries);
  return { ids, entries: new Map(ids.map((id, i) => [id, fields[i] as Fields])) };
}

async function expectInvariant(settings: Settings, entries: Map<string, Fields>, final: boolean): Promise<void> {
  const report = await checkInvariant(redis, settings, { entries }, { final });
  expect(report.violations).toEqual([]);
}

/** [label, fast path, untagged dead-letter stream (cluster only: write, then ack; src/reclaim/settle-split.ts)] */
const paths: [string, boolean, boolean][] = [
  ['fast path', true, false],
  ['general path', false, false],
  ...(clusterUnderTest()
    ? ([['split path (cluster, untagged keys)', false, true]] as [string, boolean, boolean][])
    : []),
];

describe.each(paths)('%s', (_label, fastPath, untagged) => {
  const setup = async (
    env: Record<string, string> = {},
  ): Promise<{ settings: Settings; run: () => ReturnType<typeof runReclaim> }> => {
    const dlq: Record<string, string> = untagged ? { DEAD_LETTER_STREAM: uniqueName('dlq') } : {};
    const settings = testSettings(server, { HASH_KEY_FIELD: 'user', ...dlq, ...env });
    const client = await connections.open(settings);
    return { settings, run: () => runReclaim({ client, settings, fastPath }) };
  };

  it('a hash key of another type: that entry is dead-lettered (processing-error naming the key), the rest settle, once', async () => {
    const { settings, run } = await setup();
    const fields: Fields[] = Array.from({ length: 20 }, (_, i) => ['user', `u${i}`, 'seq', String(i)]);
    fields.push(['seq', 'no-key-1'], ['seq', 'no-key-2'], ['seq', 'no-key-3']);
    const { ids, entries } = await crashed(settings, fields);
    const foreign = `${settings.hashKeyPrefix}u7`;
    await redis.set(foreign, 'not a hash');

    expect(await run()).toMatchObject({ processed: 19, deadLettered: 4, failed: 0, complete: true });
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    const unwritable = records.filter((r) => r.meta['dlq.reason'] === 'processing-error');
    expect(unwritable.map((r) => r.meta['dlq.id'])).toEqual([ids[7]]);
    expect(unwritable[0]?.meta['dlq.error']).toContain(`\`${foreign}\``);
    expect(unwritable[0]?.meta['dlq.error']).toContain('WRONGTYPE');
    expect(await redis.get(foreign)).toBe('not a hash');
    await expectInvariant(settings, entries, true);

    expect(await run()).toMatchObject({ scanned: 0, deadLettered: 0, complete: true });
    expect(await redis.xlen(settings.deadLetterStream)).toBe(4);
  });

  it('a dead-letter key of another type: fails before any write, naming that key; the next run after its removal completes', async () => {
    const { settings, run } = await setup();
    const fields: Fields[] = Array.from({ length: 12 }, (_, i) => ['user', `u${i}`]);
    const { entries } = await crashed(settings, fields, [0, 1]);
    await redis.set(settings.deadLetterStream, 'x');
    const before = await snapshotKeys(redis);

    const failure = await run().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WrongTypeError);
    expect((failure as Error).message).toContain(`Dead-letter key \`${settings.deadLetterStream}\``);
    expect((failure as Error).message).toContain('is not a stream');
    expect(await snapshotKeys(redis)).toEqual(before);

    await redis.del(settings.deadLetterStream);
    expect(await run()).toMatchObject({ processed: 10, deadLettered: 2, complete: true });
    await expectInvariant(settings, entries, true);
  });

  it('entries of 10,000 fields: hashed in full, dead-lettered whole and once for every reason, replayed exactly', async () => {
    const { settings, run } = await setup();
    const { ids, entries } = await crashed(
      settings,
      [wide('w-hash'), wide('w-max'), wide(), wide('w-foreign'), ['user', 'small']],
      [1],
    );
    await redis.set(`${settings.hashKeyPrefix}w-foreign`, 'x');

    expect(await run()).toMatchObject({ processed: 2, deadLettered: 3, failed: 0, complete: true });
    expect(await redis.hlen(`${settings.hashKeyPrefix}w-hash`)).toBe(10_001);
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    expect(records.map((r) => [r.meta['dlq.id'], r.meta['dlq.reason']]).sort()).toEqual(
      [
        [ids[1], 'max-deliveries'],
        [ids[2], 'missing-key-field'],
        [ids[3], 'processing-error'],
      ].sort(),
    );
    await expectInvariant(settings, entries, true);
    expect(await run()).toMatchObject({ scanned: 0, deadLettered: 0 });
    expect(await redis.xlen(settings.deadLetterStream)).toBe(3);

    // Replay needs the two streams in one slot (else KeySlotError, tested in dlq.test.ts).
    if (untagged) return;
    // Back on the source stream, field for field, as a new entry; the record is gone.
    const client = await connections.open(settings);
    const { records: selected } = await selectRecords(client, settings.deadLetterStream, { reason: 'max-deliveries' });
    const outcome = await replayRecords(client, settings.deadLetterStream, selected);
    expect(outcome.skipped).toEqual([]);
    const newId = outcome.replayed[0]?.newId as string;
    const [[, replayed]] = (await redis.xrangeBuffer(settings.streamName, newId, newId)) as [Buffer, Buffer[]][] as [
      [Buffer, Buffer[]],
    ];
    expect(replayed.map(String)).toEqual(wide('w-max'));
    expect(await redis.xlen(settings.deadLetterStream)).toBe(2);
  });

  it('maxmemory reached (noeviction): the run fails saying so, duplicates nothing, and completes once memory is back', async () => {
    // MIN_IDLE 0: entries the failed run claimed (general path) are reclaimable again at once.
    const { settings, run } = await setup({ MIN_IDLE_TIME_SEC: '0', BATCH_SIZE: '10' });
    const fields: Fields[] = Array.from({ length: 50 }, (_, i) =>
      i % 10 === 3 ? ['seq', String(i)] : ['user', `u${i}`, 'seq', String(i)],
    );
    const { entries } = await crashed(settings, fields, [5, 15, 25]);
    await setMaxmemory(redis, 1);
    try {
      await expect(run()).rejects.toThrow(/out of memory/);
      await expectInvariant(settings, entries, false);
      expect(await redis.xlen(settings.deadLetterStream)).toBe(0);
    } finally {
      await setMaxmemory(redis, 0);
    }
    expect(await run()).toMatchObject({ deadLettered: 8, complete: true });
    await expectInvariant(settings, entries, true);
    expect(await redis.xlen(settings.deadLetterStream)).toBe(8);
  });
});
