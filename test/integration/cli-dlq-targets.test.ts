/**
 * `dlq list|replay|purge` when the settings name several targets (a `STREAM_NAME` list,
 * `STREAM_PATTERN`, a group list or `*`), against a real server: one dead-letter stream is
 * picked with `--stream` or is the shared explicit `DEAD_LETTER_STREAM`; otherwise nothing is touched.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { createGroup, uniqueName, type Fields } from '../helpers/backlog';
import { DLQ_META } from '../helpers/dlq';
import { runCliInProcess } from '../helpers/cli-in-process';
import { cliEnv } from '../helpers/operator';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
let redis: Redis;
let prefix: string;
let a: string;
let b: string;

/** A dead-letter record of `source` and `group`, as the scripts write it (original fields, then dlq.*). */
const record = (source: string, group: string, value = 'v'): Fields => [
  'k',
  value,
  ...DLQ_META.flatMap((m): Fields => {
    const meta = {
      'dlq.stream': source,
      'dlq.group': group,
      'dlq.reason': 'max-deliveries',
      'dlq.at': String(Date.now()),
      'dlq.deliveries': '5',
    }[m];
    return [m, meta ?? '0-1'];
  }),
];
const add = async (dlq: string, ...records: Fields[]): Promise<void> => {
  for (const r of records) await redis.xadd(dlq, '*', ...r);
};
const env = (stream: string, group: string, extra: Record<string, string> = {}): Record<string, string> =>
  cliEnv(server, stream, group, extra);
const listed = async (args: string[], e: Record<string, string>): Promise<string[]> => {
  const r = await runCliInProcess(['dlq', 'list', '--json', ...args], e);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => `${JSON.parse(l).sourceStream}/${JSON.parse(l).group}/${JSON.parse(l).fields[1]}`);
};

useRedis({}, (started) => ([server, redis] = [started, started.client()]));
beforeEach(async () => {
  prefix = uniqueName('ev');
  [a, b] = [`${prefix}:a`, `${prefix}:b`];
  for (const s of [a, b]) await createGroup(redis, s, 'alpha');
  await add(`${a}:dlq`, record(a, 'alpha', 'a1'));
  await add(`${b}:dlq`, record(b, 'alpha', 'b1'), record(b, 'beta', 'b2'));
});

describe('dlq with several streams and no shared DEAD_LETTER_STREAM', () => {
  it('without --stream: exit 2 naming the listed streams, and nothing is touched', async () => {
    for (const command of [['list'], ['replay', '--all'], ['purge', '-y']]) {
      const r = await runCliInProcess(['dlq', ...command], env(`${a}, ${b}`, 'alpha'));
      expect([r.code, r.stdout], command.join(' ')).toEqual([2, '']);
      expect(r.stderr).toContain(`\`STREAM_NAME\` names 2 streams (${a}, ${b}), each with its own dead-letter stream`);
      expect(r.stderr).toContain('Expected `--stream <name>` to pick the stream');
    }
    expect([
      await redis.xlen(`${a}:dlq`),
      await redis.xlen(`${b}:dlq`),
      await redis.xlen(a),
      await redis.xlen(b),
    ]).toEqual([1, 2, 0, 0]);
  });

  it('without --stream under STREAM_PATTERN: exit 2 naming the pattern', async () => {
    const r = await runCliInProcess(['dlq', 'list'], env('', 'alpha', { STREAM_PATTERN: `${prefix}:*` }));
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toContain(`\`STREAM_PATTERN\` \`${prefix}:*\` matches any number of streams`);
  });

  it('--stream picks one: its <stream>:dlq, under a list or a pattern; a list as --stream is exit 2', async () => {
    expect(await listed(['-s', a], env(`${a},${b}`, '*'))).toEqual([`${a}/alpha/a1`]);
    expect(await listed(['--stream', b], env(`${a},${b}`, '*'))).toEqual([`${b}/alpha/b1`, `${b}/beta/b2`]);
    expect(await listed(['-s', b], env('', '*', { STREAM_PATTERN: `${prefix}:*` }))).toEqual([
      `${b}/alpha/b1`,
      `${b}/beta/b2`,
    ]);
    // A stream outside the configured ones is fine too (one removed from the list keeps its dead letters).
    expect(await listed(['-s', b], env(a, 'alpha,beta'))).toEqual([`${b}/alpha/b1`, `${b}/beta/b2`]);
    const both = await runCliInProcess(['dlq', 'list', '-s', `${a},${b}`], env(a, 'alpha'));
    expect([both.code, both.stderr]).toEqual([
      2,
      `stream-reclaimer: Expected \`--stream\` to be one stream name, got \`${a},${b}\`\n`,
    ]);
  });

  it('replay and purge with --stream act on that stream only', async () => {
    const e = env(`${a},${b}`, '*');
    const replay = await runCliInProcess(['dlq', 'replay', '--all', '-s', a, '--json'], e);
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout).replayed).toHaveLength(1);
    const purge = await runCliInProcess(['dlq', 'purge', '-y', '-s', b, '--json'], e);
    expect(JSON.parse(purge.stdout)).toMatchObject({ deadLetterStream: `${b}:dlq`, deleted: 2 });
    expect([
      await redis.xlen(a),
      await redis.xlen(`${a}:dlq`),
      await redis.xlen(b),
      await redis.xlen(`${b}:dlq`),
    ]).toEqual([1, 0, 0, 0]);
  });
});

describe('dlq with a shared DEAD_LETTER_STREAM', () => {
  it('needs no --stream: lists every source, replays each record onto its own source', async () => {
    const shared = `${prefix}:dead`;
    await add(shared, record(a, 'alpha', 'a2'), record(b, 'beta', 'b3'));
    const e = env(`${a},${b}`, '*', { DEAD_LETTER_STREAM: shared });
    expect(await listed([], e)).toEqual([`${a}/alpha/a2`, `${b}/beta/b3`]);
    expect(
      await listed([], env('', '*', { STREAM_PATTERN: `${prefix}:[ab]`, DEAD_LETTER_STREAM: shared })),
    ).toHaveLength(2);
    const r = await runCliInProcess(['dlq', 'replay', '--all', '--json'], e);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).replayed.map((x: { sourceStream: string }) => x.sourceStream)).toEqual([a, b]);
    expect([await redis.xlen(a), await redis.xlen(b), await redis.xlen(shared)]).toEqual([1, 1, 0]);
  });

  it('when neither any listed stream nor the shared dead-letter stream exists: exit 1 naming them', async () => {
    const r = await runCliInProcess(
      ['dlq', 'list'],
      env(`${prefix}:x,${prefix}:y`, '*', { DEAD_LETTER_STREAM: `${prefix}:dead` }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `None of the streams \`${prefix}:x\`, \`${prefix}:y\` nor their dead-letter stream \`${prefix}:dead\` exists`,
    );
    const one = await runCliInProcess(
      ['dlq', 'list'],
      env(`${a},${prefix}:y`, '*', { DEAD_LETTER_STREAM: `${prefix}:dead` }),
    );
    expect([one.code, one.stdout]).toEqual([0, `no dead-letter records in ${prefix}:dead\n`]);
  });
});

describe('dlq with a group list or *', () => {
  it('a list filters to records of the listed groups; * (or no group) is every group; --group overrides', async () => {
    await add(`${b}:dlq`, record(b, 'gamma', 'b4'));
    expect(await listed(['-s', b], env(a, 'alpha,beta'))).toEqual([`${b}/alpha/b1`, `${b}/beta/b2`]);
    expect(await listed(['-s', b], env(a, '*'))).toHaveLength(3);
    expect(await listed(['-s', b], env(a, ''))).toHaveLength(3);
    expect(await listed(['-s', b, '-g', 'gamma'], env(a, 'alpha,beta'))).toEqual([`${b}/gamma/b4`]);
    expect(await listed(['-s', b, '--all-groups'], env(a, 'alpha,beta'))).toHaveLength(3);
    const none = await runCliInProcess(['dlq', 'purge', '-s', b], env(a, 'delta,epsilon'));
    expect([none.code, none.stderr]).toEqual([0, `nothing to purge in ${b}:dlq (groups delta, epsilon)\n`]);
  });
});
