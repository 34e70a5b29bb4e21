/**
 * Hostile input: binary names and values, empty values, a 1 MB value, 1,000 fields, names that
 * collide with the dlq.* metadata, key-field values with hash-tag braces, newlines and unicode.
 * Processed into exact hashes; dead-lettered and replayed (CLI) losslessly. Missing streams and
 * groups, and a key of another type, fail with clear errors and touch nothing.
 */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import { MissingGroupError, WrongTypeError } from '../../src/errors';
import { runReclaim } from '../../src/reclaim/run';
import type { Settings } from '../../src/config/settings';
import { addEntries, createGroup, readAsConsumer, setPending, testSettings } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { readDeadLetters } from '../helpers/dlq';
import { checkInvariant, hashKeyOf, type Fields } from '../helpers/invariant';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';
import { IDLE_MS, OutputLog, runCli } from './support';

let server: RedisServer;
let redis: Redis;
const log = new OutputLog();

const connections = useRedis({}, (started) => ([server, redis] = [started, started.client()]));
beforeAll(async () => {
  ensureBuilt();
});

const client = (settings: Settings): Promise<RedisClient> => connections.open(settings);

const b = (bytes: number[]): Buffer => Buffer.from(bytes);
/** Each entry has a unique key-field `k` value, itself hostile in the last group. */
function hostileEntries(): (string | Buffer)[][] {
  const wide: string[] = [];
  for (let i = 0; i < 999; i++) wide.push(`f${i}`, `v${i}`);
  return [
    ['k', 'binary', b([0, 255, 10, 13, 0]), randomBytes(64), randomBytes(16), b([0])],
    ['k', 'empty', 'a', '', '', 'empty name', 'z', ''],
    ['k', 'big', 'blob', Buffer.alloc(1024 * 1024, 'x')],
    ['k', 'wide', ...wide],
    ['k', 'meta', 'dlq.id', '0-1', 'dlq.stream', 'elsewhere', 'dlq.reason', 'forged', 'dlq.at', 'yesterday'],
    ['k', 'dup', 'a', '1', 'a', '2', 'k2', 'x'],
    ['k', '{tag}', 'v', '1'],
    ['k', 'a{b}c{d}', 'v', '2'],
    ['k', '{}', 'v', '3'],
    ['k', 'line\nbreak\r\n', 'v', '4'],
    ['k', 'ünïcødé ✓ 🚀 日本', 'v', '5'],
    ['k', b([0xff, 0xfe, 0x00, 0x7b, 0x7d]), 'v', '6'],
  ];
}

async function crashedBacklog(settings: Settings, deliveries?: number): Promise<Map<string, Fields>> {
  const fields = hostileEntries();
  const ids = await addEntries(redis, settings.streamName, fields);
  await createGroup(redis, settings.streamName, settings.groupName);
  await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', ids.length, { idleMs: IDLE_MS });
  if (deliveries) await setPending(redis, settings.streamName, settings.groupName, 'crashed', ids, IDLE_MS, deliveries);
  return new Map(ids.map((id, i) => [id, fields[i] as Fields]));
}

describe('hostile entries', () => {
  it('are written to hashes exactly (binary-safe key and fields)', async () => {
    const settings = testSettings(server, { HASH_KEY_FIELD: 'k' });
    const entries = await crashedBacklog(settings);
    const summary = await runReclaim({ client: await client(settings), settings, logger: log.logger('run') });
    expect(summary).toMatchObject({ processed: entries.size, deadLettered: 0, failed: 0, complete: true });
    const report = await checkInvariant(redis, settings, { entries }, { final: true });
    expect(report.violations).toEqual([]);
    expect(report.states.hashed).toBe(entries.size);
    // The braces, newline and unicode values named the keys verbatim.
    for (const [id, f] of entries) expect(await redis.exists(hashKeyOf(settings, id, f) as Buffer)).toBe(1);
    expect(await redis.hlen(`${settings.hashKeyPrefix}wide`)).toBe(1_000);
    expect((await redis.hgetBuffer(`${settings.hashKeyPrefix}big`, 'blob'))?.length).toBe(1024 * 1024);
  });

  it('are dead-lettered with the original fields, then replayed by `dlq replay` losslessly', async () => {
    const settings = testSettings(server, { HASH_KEY_FIELD: 'k', MAX_DELIVERIES: '3' });
    const entries = await crashedBacklog(settings, 3);
    const summary = await runReclaim({ client: await client(settings), settings, logger: log.logger('run') });
    expect(summary).toMatchObject({ processed: 0, deadLettered: entries.size });
    const report = await checkInvariant(redis, settings, { entries }, { final: true });
    expect(report.violations).toEqual([]);
    const records = await readDeadLetters(redis, settings.deadLetterStream);
    const forged = records.find((r) => r.original.some((x) => x.toString() === 'forged'));
    // The entry's own dlq.* fields stay among the original fields; the metadata is the real one.
    expect(forged?.meta['dlq.reason']).toBe('max-deliveries');
    expect(forged?.meta['dlq.stream']).toBe(settings.streamName);

    const r = await runCli(
      ['dlq', 'replay', '--all', '--json'],
      {
        REDIS_HOST: server.host,
        STREAM_NAME: settings.streamName,
        STREAM_CONSUMER_GROUP_NAME: settings.groupName,
      },
      log,
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { replayed: { id: string; newId: string }[] };
    expect(out.replayed).toHaveLength(entries.size);
    const sourceOf = new Map(records.map((rec) => [rec.recordId, rec.meta['dlq.id'] as string]));
    for (const { id, newId } of out.replayed) {
      const original = entries.get(sourceOf.get(id) as string) as Fields;
      const [[, fields]] = (await redis.xrangeBuffer(settings.streamName, newId, newId)) as [Buffer, Buffer[]][] as [
        [Buffer, Buffer[]],
      ];
      expect(fields.map((x) => x.toString('hex'))).toEqual(original.map((x) => Buffer.from(x).toString('hex')));
    }
    expect(await redis.xlen(settings.deadLetterStream)).toBe(0);
  });
});

describe('what is not there, or not a stream', () => {
  it('a stream that does not exist: MissingGroupError naming it; nothing created', async () => {
    const settings = testSettings(server);
    const error = await runReclaim({ client: await client(settings), settings }).catch((e: unknown) => e as Error);
    log.error('missing stream', error);
    expect(error).toBeInstanceOf(MissingGroupError);
    expect((error as Error).message).toContain(`\`${settings.streamName}\``);
    expect((error as Error).message).toMatch(/does not exist/);
    expect(await redis.exists(settings.streamName, settings.deadLetterStream)).toBe(0);
  });

  it('a group that does not exist: MissingGroupError naming it; via the CLI, exit 1 and the message', async () => {
    const settings = testSettings(server);
    await addEntries(redis, settings.streamName, [['a', '1']]);
    await createGroup(redis, settings.streamName, 'other-group');
    const error = await runReclaim({ client: await client(settings), settings }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(MissingGroupError);
    expect((error as Error).message).toContain(`\`${settings.groupName}\``);
    const r = await runCli(
      ['run', '--json'],
      { REDIS_HOST: server.host, STREAM_NAME: settings.streamName, STREAM_CONSUMER_GROUP_NAME: settings.groupName },
      log,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // The CLI looks at what exists: the stream is there, so it names the group and the groups there are.
    expect(r.stderr).toContain(`has no consumer group \`${settings.groupName}\` (its groups: other-group)`);
  });

  it.each([
    ['a string', (k: string) => redis.set(k, 'not a stream')],
    ['a hash', (k: string) => redis.hset(k, 'f', 'v')],
    ['a list', (k: string) => redis.rpush(k, 'a', 'b')],
  ])('a key holding %s: WrongTypeError, and the key is untouched (DUMP before = after)', async (_, make) => {
    const settings = testSettings(server);
    await make(settings.streamName);
    const before = await redis.dumpBuffer(settings.streamName);
    const keysBefore = await redis.dbsize();
    const error = await runReclaim({ client: await client(settings), settings }).catch((e: unknown) => e as Error);
    log.error('wrong type', error);
    expect(error).toBeInstanceOf(WrongTypeError);
    expect((error as Error).message).toContain(`Key \`${settings.streamName}\``);
    expect((error as Error).message).toContain('is not a stream');
    expect(await redis.dumpBuffer(settings.streamName)).toEqual(before);
    expect(await redis.dbsize()).toBe(keysBefore);
  });
});
