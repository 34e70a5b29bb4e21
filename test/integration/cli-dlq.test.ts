/**
 * `dlq list|replay|purge` as an operator uses them: the group filter, filters that cannot match,
 * truncation, missing streams, and binary-safe human output, against a real server.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { createGroup, uniqueName, type Fields } from '../helpers/backlog';
import { DLQ_META } from '../helpers/dlq';
import { runCliInProcess } from '../helpers/cli-in-process';
import { cliEnv, redisCli } from '../helpers/operator';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
let redis: Redis;
let stream: string;
let dlq: string;

/** A dead-letter record of `group`, as the scripts write it (original fields, then dlq.*). */
const record = (group: string, reason: string, fields: Fields = ['k', 'v']): Fields => [
  ...fields,
  ...DLQ_META.flatMap((m): Fields => {
    const value = {
      'dlq.stream': stream,
      'dlq.group': group,
      'dlq.reason': reason,
      'dlq.at': String(Date.now()),
      'dlq.deliveries': '5',
    }[m];
    return [m, value ?? '0-1'];
  }),
];
const add = async (...records: Fields[]): Promise<void> => {
  for (const r of records) await redis.xadd(dlq, '*', ...r);
};
const env = (extra: Record<string, string> = {}): Record<string, string> => {
  const { STREAM_CONSUMER_GROUP_NAME: _, ...rest } = cliEnv(server, stream, '');
  return { ...rest, ...extra };
};
const xlen = (key: string): number => redisCli(server, 'XLEN', key) as number;

useRedis({}, (started) => ([server, redis] = [started, started.client()]));
beforeEach(async () => {
  stream = uniqueName('orders');
  dlq = `${stream}:dlq`;
  await createGroup(redis, stream, 'alpha');
  await createGroup(redis, stream, 'beta');
});

describe('dlq list', () => {
  it('--group filters by dlq.group, shows a GROUP column, and needs no STREAM_CONSUMER_GROUP_NAME', async () => {
    await add(
      record('alpha', 'max-deliveries'),
      record('beta', 'processing-error'),
      record('alpha', 'missing-key-field'),
    );
    const all = await runCliInProcess(['dlq', 'list'], env());
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^ {2}ID\s+GROUP\s+SOURCE/);
    expect(all.stdout.trim().split('\n')).toHaveLength(4);
    const beta = await runCliInProcess(['dlq', 'list', '-g', 'beta', '--json'], env());
    expect(
      beta.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).group),
    ).toEqual(['beta']);
    // The configured group filters too; --all-groups lifts it.
    const configured = await runCliInProcess(['dlq', 'list', '--json'], env({ STREAM_CONSUMER_GROUP_NAME: 'alpha' }));
    expect(
      configured.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).reason),
    ).toEqual(['max-deliveries', 'missing-key-field']);
    const every = await runCliInProcess(
      ['dlq', 'list', '--json', '--all-groups'],
      env({ STREAM_CONSUMER_GROUP_NAME: 'alpha' }),
    );
    expect(every.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('invalid filters exit 2 naming what is allowed; a cut-short list says N of M; --all lists every one', async () => {
    await add(...Array.from({ length: 5 }, () => record('alpha', 'max-deliveries')));
    const reason = await runCliInProcess(['dlq', 'list', '--reason', 'bogus'], env());
    expect(reason.code).toBe(2);
    expect(reason.stderr).toContain('Allowed choices are max-deliveries, missing-key-field, processing-error');
    expect(reason.stderr.trim().split('\n')).toHaveLength(2); // the error and a pointer at --help, not the whole help
    expect(reason.stderr).toContain('stream-reclaimer dlq list --help');
    const zero = await runCliInProcess(['dlq', 'list', '--count', '0'], env());
    expect([zero.code, zero.stderr]).toEqual([
      2,
      'stream-reclaimer: Expected `--count` to be an integer from 1 to 1000000, got `0`\n',
    ]);
    const two = await runCliInProcess(['dlq', 'list', '--count', '2'], env());
    expect(two.stderr).toBe('showing 2 of 5 records; --all or --count N shows more\n');
    expect(two.stdout.trim().split('\n')).toHaveLength(3);
    const all = await runCliInProcess(['dlq', 'list', '--all', '--json'], env());
    expect([all.stderr, all.stdout.trim().split('\n').length]).toEqual(['', 5]);
  });

  it('a stream that does not exist is an error; a missing dead-letter stream of an existing stream is said', async () => {
    const typo = await runCliInProcess(['dlq', 'list', '-s', `${stream}-typo`], env());
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain(
      `Neither stream \`${stream}-typo\` nor its dead-letter stream \`${stream}-typo:dlq\` exists`,
    );
    const none = await runCliInProcess(['dlq', 'list'], env());
    expect(none.code).toBe(0);
    expect(none.stderr).toContain(`no dead-letter stream \`${dlq}\``);
    expect(none.stdout).toBe(`no dead-letter records in ${dlq}\n`);
  });

  it('human output prints UTF-8 as is and escapes control and binary bytes as redis-cli does', async () => {
    const binary = Buffer.from([0x61, 0xff, 0x00, 0x62]);
    await add(record('alpha', 'max-deliveries', ['text', 'ü-ñ-日本 🎉', 'ctl', 'a\nb\r\tc"d\\', 'bin', binary]));
    const human = await runCliInProcess(['dlq', 'list'], env());
    expect(human.stdout).toContain('text "ü-ñ-日本 🎉" ctl "a\\nb\\r\\tc\\"d\\\\" bin "a\\xff\\x00b"');
    // The JSON form keeps the exact bytes: the human escaping is display only.
    const [row] = (await runCliInProcess(['dlq', 'list', '--json'], env())).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(row.fields).toEqual([
      'text',
      'ü-ñ-日本 🎉',
      'ctl',
      'a\nb\r\tc"d\\',
      'bin',
      { base64: binary.toString('base64') },
    ]);
  });
});

describe('dlq replay', () => {
  it('replays only the group asked for, warns that every group of the source delivers it again', async () => {
    await add(record('alpha', 'max-deliveries'), record('beta', 'max-deliveries'));
    const r = await runCliInProcess(['dlq', 'replay', '--all', '-g', 'beta', '--json'], env());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).replayed).toHaveLength(1);
    expect(r.stderr).toContain(`note: ${stream} has 2 groups (alpha, beta); each delivers a replayed entry again`);
    expect(
      (await runCliInProcess(['dlq', 'list', '--json'], env())).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).group),
    ).toEqual(['alpha']);
    expect(xlen(stream)).toBe(1);
  });

  it('--id that is not an ID is a usage error naming the form; a filter that matches nothing is not a success', async () => {
    await add(record('alpha', 'max-deliveries'));
    const bad = await runCliInProcess(['dlq', 'replay', '--id', 'notanid'], env());
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'stream-reclaimer: Expected `--id` to be a record ID like `1700000000000-0` (ms-seq, from `dlq list`), got `notanid`\n',
    ]);
    const id = (redisCli(server, 'XRANGE', dlq, '-', '+') as [string][])[0]?.[0];
    const other = await runCliInProcess(['dlq', 'replay', '--id', id as string, '-g', 'beta'], env());
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`\`${id}\` is not a dead-letter record in ${dlq} with group beta`);
    expect(xlen(dlq)).toBe(1);
  });

  it('a record whose source stream is gone is reported, not replayed into a new stream', async () => {
    await add(record('alpha', 'max-deliveries'));
    await redis.del(stream);
    const r = await runCliInProcess(
      ['dlq', 'replay', '--all', '-s', stream, '--dry-run', '--json'],
      env({ DEAD_LETTER_STREAM: dlq }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`source stream \`${stream}\`, which does not exist`);
    expect(JSON.parse(r.stdout)).toMatchObject({ dryRun: true, wouldReplay: [] });
  });
});

describe('dlq purge', () => {
  it('without --yes: exit 0 and JSON when nothing would be deleted, exit 2 otherwise; --dry-run; -y with --group and --reason', async () => {
    await add(record('alpha', 'max-deliveries'), record('beta', 'max-deliveries'), record('beta', 'processing-error'));
    const nothing = await runCliInProcess(['dlq', 'purge', '-g', 'gamma', '--json'], env());
    expect(nothing.code).toBe(0);
    expect(JSON.parse(nothing.stdout)).toMatchObject({
      deadLetterStream: dlq,
      dryRun: true,
      wouldDelete: 0,
      deleted: 0,
    });
    const refused = await runCliInProcess(['dlq', 'purge', '-g', 'beta', '--json'], env());
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ wouldDelete: 2, deleted: 0 });
    expect(refused.stderr).toContain('Refusing to purge without --yes: it would delete 2 record(s)');
    const dry = await runCliInProcess(
      ['dlq', 'purge', '-g', 'beta', '--reason', 'processing-error', '--dry-run', '-y'],
      env(),
    );
    expect([dry.code, dry.stderr]).toEqual([
      0,
      `DRY RUN (nothing changed) — would delete 1 record(s) of ${dlq} (group beta, reason processing-error)\n`,
    ]);
    expect(xlen(dlq)).toBe(3);
    const done = await runCliInProcess(
      ['dlq', 'purge', '-g', 'beta', '--reason', 'processing-error', '-y', '--json'],
      env(),
    );
    expect(JSON.parse(done.stdout)).toMatchObject({ dryRun: false, wouldDelete: 1, deleted: 1 });
    const reasons = (await runCliInProcess(['dlq', 'list', '--json'], env())).stdout
      .trim()
      .split('\n')
      .map((l) => `${JSON.parse(l).group}/${JSON.parse(l).reason}`);
    expect(reasons).toEqual(['alpha/max-deliveries', 'beta/max-deliveries']);
    const bad = await runCliInProcess(['dlq', 'purge', '--older-than', '1 week'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('`90` (seconds), `45s`, `30m`, `1h30m`, `7d`');
  });

  it('a bad RECLAIM_SCHEDULE, which dlq does not read, does not block it', async () => {
    const r = await runCliInProcess(
      ['dlq', 'purge', '--json'],
      env({ RECLAIM_SCHEDULE: '61 * * * * *', REDIS_TLS: 'No' }),
    );
    expect(r.code).toBe(0);
  });
});
