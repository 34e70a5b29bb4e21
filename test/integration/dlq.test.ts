import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import Redis, { Cluster } from 'ioredis';
import { connect } from '../../src/redis/connection';
import { replayRecords, type DeadLetterRecord } from '../../src/ops/dlq';
import { KeySlotError } from '../../src/errors';
import { runReclaim } from '../../src/reclaim/run';
import { addEntries, createGroup, readAsConsumer, testSettings, uniqueName, type Fields } from '../helpers/backlog';
import { runCliInProcess } from '../helpers/cli-in-process';
import { cliEnv, redisCli } from '../helpers/operator';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
let redis: Redis;
let stream: string;
let group: string;
let dlq: string;
let originalIds: string[];

const DLQ_META = [
  'dlq.stream',
  'dlq.id',
  'dlq.group',
  'dlq.consumer',
  'dlq.deliveries',
  'dlq.idle_ms',
  'dlq.reason',
  'dlq.error',
  'dlq.at',
];

/** Entries a naive replay would break: binary names and values, duplicate names, `dlq.*` names. */
const ORIGINALS: Fields[] = [
  ['k', Buffer.from([0xff, 0x00, 0xfe, 0x80]), 'k', 'dup', 'empty', ''],
  ['dlq.reason', 'fake', 'dlq.stream', 'elsewhere', 'user', 'u1'],
  // The nine metadata names themselves, as original fields, in the metadata's order.
  [Buffer.from([0xc3, 0x28]), 'invalid-utf8 name', ...DLQ_META.flatMap((name) => [name, `orig-${name}`])],
  ['blob', randomBytes(100_000), 'text', 'héllo ✓'],
];
const asBuffers = (fields: Fields): Buffer[] => fields.map((f) => (typeof f === 'string' ? Buffer.from(f) : f));
const decode = (v: string | { base64: string }): Buffer =>
  typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.base64, 'base64');

useRedis({}, (started) => ([server, redis] = [started, started.client()]));
beforeAll(async () => {
  const settings = testSettings(server, { MAX_DELIVERIES: '5' });
  ({ streamName: stream, groupName: group, deadLetterStream: dlq } = settings);
  originalIds = await addEntries(redis, stream, ORIGINALS);
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, 'crashed', ORIGINALS.length, { idleMs: 600_000, deliveries: 5 });
  const client = await connect(settings);
  try {
    expect(await runReclaim({ client, settings })).toMatchObject({ deadLettered: ORIGINALS.length });
  } finally {
    client.disconnect();
  }
});

const env = (): Record<string, string> => cliEnv(server, stream, group);

describe('dlq list', () => {
  it('--json prints one object per record, matching redis-cli XRANGE, original fields exact', async () => {
    const r = await runCliInProcess(['dlq', 'list', '--json'], env());
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const reference = redisCli(server, 'XRANGE', dlq, '-', '+') as [string, unknown[]][];
    expect(rows.map((row) => row.id)).toEqual(reference.map(([id]) => id));
    for (const [i, row] of rows.entries()) {
      expect(row).toMatchObject({
        sourceStream: stream,
        sourceId: originalIds[i],
        group,
        consumer: 'crashed',
        reason: 'max-deliveries',
        deliveries: 5,
      });
      expect(row.fields.map(decode)).toEqual(asBuffers(ORIGINALS[i] as Fields));
      expect(row.fields.length).toBe((reference[i]?.[1].length ?? 0) - 18);
    }
    expect(rows[0].fields[1]).toEqual({ base64: Buffer.from([0xff, 0x00, 0xfe, 0x80]).toString('base64') });
  });

  it('--count and --reason select records; the human form is a table', async () => {
    const two = await runCliInProcess(['dlq', 'list', '--json', '--count', '2'], env());
    expect(
      two.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).sourceId),
    ).toEqual(originalIds.slice(0, 2));
    expect((await runCliInProcess(['dlq', 'list', '--json', '--reason', 'processing-error'], env())).stdout).toBe('');
    const human = await runCliInProcess(['dlq', 'list'], env());
    expect(human.stdout).toMatch(/ID\s+GROUP\s+SOURCE\s+REASON\s+DELIVERIES/);
    expect(human.stdout.trim().split('\n')).toHaveLength(1 + ORIGINALS.length);
  });
});

describe('dlq replay', () => {
  it('needs exactly one of --count, --id, --all (exit 2)', async () => {
    expect((await runCliInProcess(['dlq', 'replay'], env())).code).toBe(2);
    expect((await runCliInProcess(['dlq', 'replay', '--all', '--count', '1'], env())).code).toBe(2);
  });

  it('--dry-run changes nothing', async () => {
    const before = [redisCli(server, 'XLEN', dlq), redisCli(server, 'XLEN', stream)];
    const r = await runCliInProcess(['dlq', 'replay', '--all', '--dry-run', '--json'], env());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).wouldReplay).toHaveLength(ORIGINALS.length);
    expect([redisCli(server, 'XLEN', dlq), redisCli(server, 'XLEN', stream)]).toEqual(before);
  });

  it('round trip: the source stream receives exactly the original fields; the records are gone', async () => {
    const [firstRecord] = redisCli(server, 'XRANGE', dlq, '-', '+', 'COUNT', '1') as [string, unknown][];
    const one = await runCliInProcess(['dlq', 'replay', '--id', firstRecord?.[0] as string, '1-1', '--json'], env());
    expect(one.code).toBe(1); // 1-1 is not a record: named on stderr
    expect(one.stderr).toContain('`1-1` is not a dead-letter record');
    expect(JSON.parse(one.stdout).replayed).toHaveLength(1);
    const rest = await runCliInProcess(['dlq', 'replay', '--all'], env());
    expect(rest.code).toBe(0);
    expect(rest.stdout).toContain(`replayed ${ORIGINALS.length - 1} record(s)`);

    expect(redisCli(server, 'XLEN', dlq)).toBe(0);
    const last = originalIds[originalIds.length - 1] as string;
    // Inclusive range: exclusive `(` ranges need 6.2.
    const after = (await redis.xrangeBuffer(stream, last, '+')) as [Buffer, Buffer[]][];
    const replayed = after.filter(([id]) => id.toString() !== last);
    expect(replayed.map(([, fields]) => fields)).toEqual(ORIGINALS.map(asBuffers));
    // New entries: the group delivers them again.
    const redelivered = (await redis.xreadgroup('GROUP', group, 'after-replay', 'STREAMS', stream, '>')) as [
      string,
      [string, string[]][],
    ][];
    expect(redelivered[0]?.[1].map(([id]) => id)).toEqual(replayed.map(([id]) => id.toString()));
  });

  it('on a cluster refuses a dead-letter stream and source without a shared hash tag, before any command', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    const record = { id: '1-0', sourceStream: 'orders' } as DeadLetterRecord;
    await expect(replayRecords(cluster, 'orders:dlq', [record])).rejects.toThrow(KeySlotError);
    await expect(replayRecords(cluster, 'orders:dlq', [record])).rejects.toThrow(/share a hash tag/);
    cluster.disconnect();
  });
});

describe('dlq purge', () => {
  const record = (n: number): Fields => [
    'n',
    String(n),
    ...DLQ_META.flatMap((m) => [m, m === 'dlq.at' ? '0' : m === 'dlq.group' ? 'g' : 'x']),
  ];
  let purgeStream: string;
  const purgeEnv = (): Record<string, string> => cliEnv(server, purgeStream, 'g');

  beforeAll(async () => {
    purgeStream = uniqueName('purge');
    await createGroup(redis, purgeStream, 'g');
    // Two records from 1970 (explicit IDs), three from now.
    await redis.xadd(`${purgeStream}:dlq`, '1000-0', ...record(1));
    await redis.xadd(`${purgeStream}:dlq`, '2000-0', ...record(2));
    await addEntries(redis, `${purgeStream}:dlq`, [record(3), record(4), record(5)]);
  });

  it('without --yes refuses with exit 2, says what would be deleted, deletes nothing', async () => {
    const r = await runCliInProcess(['dlq', 'purge', '--older-than', '7d'], purgeEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`would delete 2 record(s) of ${purgeStream}:dlq`);
    expect(r.stderr).toContain('--yes');
    expect(redisCli(server, 'XLEN', `${purgeStream}:dlq`)).toBe(5);
  });

  it('--older-than deletes only older records; without it, every record', async () => {
    const old = await runCliInProcess(['dlq', 'purge', '--older-than', '7d', '--yes', '--json'], purgeEnv());
    expect(old.code).toBe(0);
    expect(JSON.parse(old.stdout).deleted).toBe(2);
    expect((redisCli(server, 'XRANGE', `${purgeStream}:dlq`, '-', '+') as unknown[]).length).toBe(3);
    const all = await runCliInProcess(['dlq', 'purge', '--yes'], purgeEnv());
    expect(all.stdout).toContain('deleted 3 record(s)');
    expect(redisCli(server, 'XLEN', `${purgeStream}:dlq`)).toBe(0);
  });

  it('rejects a malformed duration with exit 2', async () => {
    const r = await runCliInProcess(['dlq', 'purge', '--older-than', 'a week', '--yes'], purgeEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('`7d`');
  });
});
