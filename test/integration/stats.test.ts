import { beforeAll, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { connect } from '../../src/redis/connection';
import { runReclaim } from '../../src/reclaim/run';
import { addEntries, createGroup, readAsConsumer, testSettings, tweet, uniqueName } from '../helpers/backlog';
import { runCliInProcess } from '../helpers/cli-in-process';
import { cliEnv, redisCli } from '../helpers/operator';
import type { RedisServer } from '../helpers/redis-server';
import { createConsumer, serverAtLeast } from '../helpers/server-version';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
let redis: Redis;
let stream: string;
let group: string;

/**
 * A group with dead letters of two reasons (made by a real run), a crashed consumer with an idle
 * backlog, a live consumer, a consumer that never read, and 12 entries not yet delivered.
 */
useRedis({}, (started) => ([server, redis] = [started, started.client()]));
beforeAll(async () => {
  const settings = testSettings(server, { HASH_KEY_FIELD: 'user', MAX_DELIVERIES: '5' });
  ({ streamName: stream, groupName: group } = settings);
  await addEntries(redis, stream, [...[0, 1, 2, 3].map(tweet), ['text', 'no user'], ['text', 'no user either']]);
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, 'dave', 4, { idleMs: 600_000, deliveries: 5 });
  await readAsConsumer(redis, stream, group, 'erin', 2, { idleMs: 600_000 });
  const client = await connect(settings);
  try {
    expect(await runReclaim({ client, settings })).toMatchObject({ deadLettered: 6, processed: 0 });
  } finally {
    client.disconnect();
  }
  await addEntries(
    redis,
    stream,
    Array.from({ length: 20 }, (_, i) => tweet(100 + i)),
  );
  await readAsConsumer(redis, stream, group, 'alice', 5, { idleMs: 600_000 });
  await readAsConsumer(redis, stream, group, 'bob', 3);
  await createConsumer(redis, stream, group, 'carol');
});

type Row = Record<string, string | number>;

describe('stream-reclaimer stats --json', () => {
  it('reports what redis-cli reports: PEL, oldest entry, lag, lengths, consumers, reasons', async () => {
    const r = await runCliInProcess(['stats', '--json'], cliEnv(server, stream, group));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const stats = JSON.parse(lines[0] as string);

    const [count, smallest] = redisCli(server, 'XPENDING', stream, group) as [number, string];
    const oldestRow = (
      redisCli(server, 'XPENDING', stream, group, smallest, smallest, '1') as [string, string, number, number][]
    )[0];
    const oldestIdle = oldestRow?.[2] ?? Number.NaN;
    const groupInfo = (redisCli(server, 'XINFO', 'GROUPS', stream) as Row[]).find((g) => g.name === group) as Row;
    const consumers = redisCli(server, 'XINFO', 'CONSUMERS', stream, group) as Row[];

    expect(stats).toMatchObject({
      stream,
      group,
      streamLength: redisCli(server, 'XLEN', stream),
      pending: count,
      oldestPendingId: smallest,
      lag: groupInfo.lag ?? null, // XINFO GROUPS reports lag from 7.0
      lastDeliveredId: groupInfo['last-delivered-id'],
      deadLetterStream: `${stream}:dlq`,
      deadLetters: redisCli(server, 'XLEN', `${stream}:dlq`),
      deadLetterReasons: { 'max-deliveries': 4, 'missing-key-field': 2 },
      deadLetterSample: 6,
    });
    expect(count).toBe(8);
    expect(stats.lag).toBe(serverAtLeast(7) ? 12 : null);
    expect(stats.deadLetters).toBe(6);
    expect(Math.abs(stats.oldestIdleMs - oldestIdle)).toBeLessThan(1_000);
    expect(stats.oldestIdleMs).toBeGreaterThanOrEqual(600_000);

    expect(stats.consumers.map((c: Row) => c.name)).toEqual(consumers.map((c) => c.name));
    // The run above took the fast path, which settles without claiming: no `reclaimer` consumer.
    expect(stats.consumers.map((c: Row) => c.name).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    for (const [i, c] of consumers.entries()) {
      const mine = stats.consumers[i];
      expect(mine.pending).toBe(c.pending);
      expect(Math.abs(mine.idleMs - Number(c.idle))).toBeLessThan(1_000);
      // Redis 7.0 has no `inactive`; 7.2+ and Valkey do.
      expect(mine.inactiveMs).toBe(c.inactive === undefined || Number(c.inactive) < 0 ? null : mine.inactiveMs);
    }
    expect(Object.keys(stats)).toEqual([
      'stream',
      'group',
      'streamLength',
      'pending',
      'oldestPendingId',
      'oldestIdleMs',
      'lag',
      'lastDeliveredId',
      'deadLetterStream',
      'deadLetters',
      'deadLetterReasons',
      'deadLetterSample',
      'consumers',
      'deferred',
      'deferredSample',
    ]);
  });

  it('counts reasons in a bounded sample of the newest records (--sample)', async () => {
    const r = await runCliInProcess(['stats', '--json', '--sample', '2'], cliEnv(server, stream, group));
    const stats = JSON.parse(r.stdout);
    expect(stats.deadLetterSample).toBe(2);
    // The two newest records are the missing-key-field ones (dead-lettered after the claim).
    expect(stats.deadLetterReasons).toEqual({ 'missing-key-field': 2 });
    expect(stats.deadLetters).toBe(6);
  });

  it('reports nulls, not errors, for an empty group', async () => {
    const s = uniqueName('empty');
    await createGroup(redis, s, 'g');
    const stats = JSON.parse((await runCliInProcess(['stats', '--json'], cliEnv(server, s, 'g'))).stdout);
    expect(stats).toMatchObject({
      pending: 0,
      oldestPendingId: null,
      oldestIdleMs: null,
      deadLetters: 0,
      deadLetterReasons: {},
      deadLetterSample: 0,
      consumers: [],
    });
  });
});

describe('stream-reclaimer stats (human)', () => {
  it('prints a readable table with every consumer', async () => {
    const r = await runCliInProcess(['stats'], cliEnv(server, stream, group));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pending\s+8\n/);
    expect(r.stdout).toMatch(serverAtLeast(7) ? /lag\s+12 not yet delivered/ : /lag\s+unknown \(server < 7\.0/);
    expect(r.stdout).toMatch(/dead letters\s+6 in /);
    expect(r.stdout).toMatch(/CONSUMER\s+PENDING\s+IDLE\s+INACTIVE/);
    expect(r.stdout).toMatch(/alice\s+5\s+/);
    expect(r.stdout).toMatch(/carol\s+0\s+/);
  });

  it('names a missing group and how to create it, exit 1', async () => {
    const r = await runCliInProcess(['stats'], cliEnv(server, stream, 'no-such-group'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no-such-group');
    expect(r.stderr).toContain('XGROUP CREATE');
  });

  it('rejects a bad --sample with exit 2', async () => {
    const r = await runCliInProcess(['stats', '--sample', 'lots'], cliEnv(server, stream, group));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--sample');
  });
});

describe('several targets (a list of streams, `*` or several groups)', () => {
  it('--json prints one object per target, each shaped as for one; a missing group is its own error, exit 1', async () => {
    const other = uniqueName('stream');
    await addEntries(
      redis,
      other,
      Array.from({ length: 6 }, (_, i) => tweet(i)),
    );
    for (const g of ['g1', 'g2']) await createGroup(redis, other, g);
    await readAsConsumer(redis, other, 'g1', 'crashed', 6, { idleMs: 600_000 });

    const one = JSON.parse((await runCliInProcess(['stats', '--json'], cliEnv(server, stream, group))).stdout) as {
      pending: number;
    };
    const every = await runCliInProcess(['stats', '--json'], cliEnv(server, `${stream},${other}`, '*'));
    expect(every.code, every.stderr).toBe(0);
    const rows = every.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stream: string; group: string; pending: number });
    expect(rows.map((r) => [r.stream, r.group, r.pending])).toEqual([
      [stream, group, one.pending],
      [other, 'g1', 6],
      [other, 'g2', 0],
    ]);
    expect(Object.keys(rows[0] as object)).toEqual(Object.keys(one));

    const listed = await runCliInProcess(['stats'], cliEnv(server, `${stream},${other}`, 'g1'));
    expect(listed.code).toBe(1);
    expect(listed.stdout).toContain(`== ${other} / g1\n`);
    expect(listed.stdout).toMatch(new RegExp(`== ${stream} / g1\\n  error: .*g1`));
    // The stream is there, so the error says the group is what is missing, with the groups there are.
    expect(listed.stdout).toMatch(
      new RegExp(
        `== ${stream} / g1\\n  error: Stream \`${stream}\` on .* has no consumer group \`g1\` \\(its groups: ${group}\\)`,
      ),
    );
  });
});
