/**
 * Least privilege on the server under test: `stream-reclaimer acl` reads its version and prints
 * the rule, redis-cli applies the printed line as is, and the reclaimer runs as that user (CLI:
 * processing, dead-lettering, orphans, consumer clean-up, and `stats` as the status function
 * does) with nothing denied (ACL LOG stays empty); `acl --operator`'s user runs every operator
 * command with nothing denied; commands and keys outside the rule are refused.
 */
import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../src/config/settings';
import { testSettings, uniqueName } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { checkInvariant } from '../helpers/invariant';
import { startCluster } from '../helpers/redis-cluster';
import type { RedisServer } from '../helpers/redis-server';
import { serverAtLeast } from '../helpers/server-version';
import { useRedis } from '../helpers/use-redis';
import { OutputLog, PASSWORD, runCli, seedBacklog } from './support';

const USER_PASSWORD = 'Acl-Us3r-Secret-pw';
let server: RedisServer;
let admin: Redis;
const log = new OutputLog();
const extra: Redis[] = [];

useRedis(
  { tcp: true, args: ['--requirepass', PASSWORD] },
  (started) => ([server, admin] = [started, started.client(PASSWORD)]),
);
beforeAll(async () => {
  ensureBuilt();
});
afterAll(async () => {
  for (const c of extra) c.disconnect();
  expect(log.leaks(PASSWORD)).toEqual([]);
  expect(log.leaks(USER_PASSWORD)).toEqual([]);
});

/** The CLI's environment for `s`, logged in as `user` (the admin: `default`). */
function env(s: Settings, user?: string, more: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_HOST: `127.0.0.1:${server.port}`,
    REDIS_TLS: 'false',
    ...(user ? { REDIS_USERNAME: user, REDIS_PASSWORD: USER_PASSWORD } : { REDIS_PASSWORD: PASSWORD }),
    STREAM_NAME: s.streamName,
    STREAM_CONSUMER_GROUP_NAME: s.groupName,
    ...more,
  };
}

/** Prints the rule with the CLI (connected as the admin) and applies the line with redis-cli. */
async function createUser(s: Settings, args: string[], more: Record<string, string> = {}): Promise<string> {
  const r = await runCli(['acl', ...args], env(s, undefined, more), log);
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  const line = lines[0] as string;
  expect(line).toContain(' ><password> ');
  // Suited to the server it read: channel rules from 6.2; CLIENT SETINFO's rule except on 7.0/7.1.
  expect(line.includes(' resetchannels ')).toBe(serverAtLeast(6, 2));
  expect(line.includes('+client|setinfo')).toBe(serverAtLeast(7, 2) || !serverAtLeast(7, 0));
  const reply = execFileSync('redis-cli', ['-p', String(server.port)], {
    input: `${line.replace('><password>', `>${USER_PASSWORD}`)}\n`,
    env: { ...process.env, REDISCLI_AUTH: PASSWORD },
    encoding: 'utf8',
  });
  expect(reply.trim()).toBe('OK');
  await admin.call('ACL', 'LOG', 'RESET');
  return line;
}

function as(user: string): Redis {
  const c = new Redis({
    host: '127.0.0.1',
    port: server.port,
    username: user,
    password: USER_PASSWORD,
    maxRetriesPerRequest: 1,
  });
  extra.push(c);
  return c;
}

/** Every denial the server logged (ioredis swallows a failed CLIENT SETINFO, for instance). */
const aclLog = (): Promise<unknown> => admin.call('ACL', 'LOG');

async function expectRefused(attempts: [string, () => Promise<unknown>][]): Promise<void> {
  for (const [what, attempt] of attempts) {
    const error = await attempt().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    log.error(what, error);
    // Inside a script, Redis before 8 says "The user executing the script can't run this
    // command"; Redis 8 "ACL failure in script".
    expect(error?.message, what).toMatch(/NOPERM|user executing the script can't run|ACL failure in script/);
  }
}

describe('the reclaimer ACL user (stream-reclaimer acl)', () => {
  it('can do a whole run — claims, hashes, dead letters, orphans, consumer clean-up — and read stats, with nothing denied', async () => {
    const s = testSettings(server, { HASH_KEY_FIELD: 'k', MAX_DELIVERIES: '5' });
    const backlog = await seedBacklog(admin, s, 2_000);
    await admin.xreadgroup('GROUP', s.groupName, 'long-gone', 'COUNT', 1, 'STREAMS', s.streamName, '0');
    const more = { HASH_KEY_FIELD: 'k', DEREGISTER_IDLE_SEC: '0.001' };
    await createUser(s, [], more);

    const r = await runCli(['run', '--json'], env(s, 'reclaimer', more), log);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ complete: true, failed: 0, orphaned: backlog.deleted.size });
    expect(summary.deadLettered).toBeGreaterThan(0);
    expect(summary.deregistered).toBeGreaterThanOrEqual(1);
    // What the deployed app's status function reads, as the same user.
    const stats = await runCli(['stats', '--json'], env(s, 'reclaimer', more), log);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ pending: 0, deadLetters: summary.deadLettered });
    expect(await aclLog()).toEqual([]);
    const report = await checkInvariant(admin, s, backlog, { final: true });
    expect(report.violations).toEqual([]);
  });

  it('is refused everything outside the rule, scripts and operator commands included', async () => {
    const s = testSettings(server);
    await createUser(s, []);
    await admin.set('someone-elses-key', 'precious');
    const user = as('reclaimer');
    await expectRefused([
      ['FLUSHALL', () => user.flushall()],
      ['DEL other key', () => user.del('someone-elses-key')],
      ['CONFIG GET', () => user.config('GET', 'requirepass')],
      ['KEYS', () => user.keys('*')],
      ['HSET outside the prefix', () => user.hset('elsewhere:1', 'f', 'v')],
      ['XADD to another stream', () => user.xadd('another-stream', '*', 'f', 'v')],
      ['DEL the stream itself', () => user.del(s.streamName)],
      ['TIME (operator only)', () => user.time()],
      ['XDEL in another stream', () => user.xdel('another-stream', '0-1')],
      ['XGROUP DELCONSUMER (clean-up off)', () => user.xgroup('DELCONSUMER', s.streamName, 'g', 'c')],
      ['ACL SETUSER', () => user.call('ACL', 'SETUSER', 'reclaimer', '+@all')],
      ['EVAL calling FLUSHALL', () => user.eval("return redis.call('FLUSHALL')", 0)],
      [
        'EVAL touching another key',
        () => user.eval("return redis.call('XADD', KEYS[1], '*', 'f', 'v')", 1, 'another-stream'),
      ],
    ]);
    expect(await admin.get('someone-elses-key')).toBe('precious');
  });

  it('matches names with quotes and glob characters exactly (whitespace as ?), as redis-cli reads the printed line', async () => {
    const s = testSettings(server, {
      STREAM_NAME: `my "orders" *[1]`,
      DEAD_LETTER_STREAM: 'dead letters?',
      HASH_KEY_PREFIX: 'h *:',
    });
    await createUser(s, [], {
      STREAM_NAME: s.streamName,
      DEAD_LETTER_STREAM: s.deadLetterStream,
      HASH_KEY_PREFIX: s.hashKeyPrefix,
    });
    const user = as('reclaimer');
    expect(await user.xadd(s.streamName, '*', 'f', 'v')).toBeTruthy();
    expect(await user.xadd(s.deadLetterStream, '*', 'f', 'v')).toBeTruthy();
    expect(await user.hset('h *:one', 'f', 'v')).toBe(1);
    // Each would match if a glob character were left unescaped.
    await expectRefused([
      ['a stream the * would match', () => user.xadd('my "orders" x1', '*', 'f', 'v')],
      ['a key the ? would match', () => user.xadd('dead lettersX', '*', 'f', 'v')],
      ['a hash the * in the prefix would match', () => user.hset('h x:one', 'f', 'v')],
    ]);
  });
});

describe('the reclaimer ACL user of several targets', () => {
  /** Two streams (`<prefix>a`, `<prefix>b`), a group each, a crashed consumer's backlog on each. */
  async function twoStreams(): Promise<{
    prefix: string;
    targets: { s: Settings; backlog: Awaited<ReturnType<typeof seedBacklog>> }[];
  }> {
    const prefix = `${uniqueName('acl')}:`;
    const targets = [];
    for (const name of ['a', 'b']) {
      const s = testSettings(server, { STREAM_NAME: `${prefix}${name}`, HASH_KEY_FIELD: 'k', MAX_DELIVERIES: '5' });
      targets.push({ s, backlog: await seedBacklog(admin, s, 300) });
    }
    return { prefix, targets };
  }

  it.each([
    [
      'a STREAM_NAME list',
      (prefix: string) => ({ STREAM_NAME: `${prefix}a,${prefix}b` }),
      (prefix: string) => [`~${prefix}a`, `~${prefix}a:*`, `~${prefix}b`, `~${prefix}b:*`],
    ],
    // Not ending in `*`: the rule needs the derived `<pattern>:*` for dead letters and hashes.
    [
      'a STREAM_PATTERN',
      (prefix: string) => ({ STREAM_NAME: '', STREAM_PATTERN: `${prefix}[ab]` }),
      (prefix: string) => [`~${prefix}[ab]`, `~${prefix}[ab]:*`, '+scan'],
    ],
  ])('%s, every group (*): the whole run as that user, nothing denied', async (_, streams, expected) => {
    const { prefix, targets } = await twoStreams();
    const first = targets[0]?.s as Settings;
    const more = { ...streams(prefix), STREAM_CONSUMER_GROUP_NAME: '*', HASH_KEY_FIELD: 'k' };
    const line = await createUser(first, [], more);
    expect(line.split(' ')).toEqual(expect.arrayContaining(expected(prefix)));

    const r = await runCli(['run', '--json'], env(first, 'reclaimer', more), log);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ complete: true, failed: 0 });
    expect(summary.targets.map((t: { stream: string }) => t.stream)).toEqual([`${prefix}a`, `${prefix}b`]);
    for (const [i, { s, backlog }] of targets.entries()) {
      expect(summary.targets[i]).toMatchObject({ group: s.groupName, complete: true, orphaned: backlog.deleted.size });
      expect(summary.targets[i].deadLettered).toBeGreaterThan(0);
      expect((await checkInvariant(admin, s, backlog, { final: true })).violations).toEqual([]);
    }
    expect(await aclLog()).toEqual([]);
    await expectRefused([
      ['XADD to a stream outside the targets', () => as('reclaimer').xadd(`${prefix}c`, '*', 'f', 'v')],
    ]);
  });
});

describe('the operator ACL user (stream-reclaimer acl --operator)', () => {
  it('runs stats, dlq list, replay and purge with nothing denied', async () => {
    const s = testSettings(server, { HASH_KEY_FIELD: 'k', MAX_DELIVERIES: '5' });
    await seedBacklog(admin, s, 300);
    expect((await runCli(['run', '--json'], env(s, undefined, { HASH_KEY_FIELD: 'k' }), log)).code).toBe(0);
    const dead = await admin.xlen(s.deadLetterStream);
    expect(dead).toBeGreaterThan(2);
    await createUser(s, ['--operator', '--user', 'operator']);

    const run = async (...args: string[]): Promise<string> => {
      const r = await runCli(args, env(s, 'operator'), log);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    expect(JSON.parse(await run('stats', '--json'))).toMatchObject({ deadLetters: dead });
    expect((await run('dlq', 'list', '--json')).trim().split('\n')).toHaveLength(dead);
    await run('dlq', 'replay', '--count', '1');
    await run('dlq', 'purge', '--older-than', '0m', '--yes');
    expect(await admin.xlen(s.deadLetterStream)).toBe(0);
    expect(await aclLog()).toEqual([]);
  });
});

describe('the reclaimer ACL user on a cluster (REDIS_CLUSTER=true)', () => {
  it('runs with the slot map it needs and nothing denied on any node', async () => {
    const cluster = await startCluster();
    try {
      const admin = cluster.client();
      const s = testSettings({ host: cluster.host, port: cluster.port, cluster: true }, { HASH_KEY_FIELD: 'k' });
      const backlog = await seedBacklog(admin as unknown as Redis, s, 500);
      const clusterEnv = {
        REDIS_HOST: `127.0.0.1:${cluster.port}`,
        REDIS_TLS: 'false',
        REDIS_CLUSTER: 'true',
        STREAM_NAME: s.streamName,
        STREAM_CONSUMER_GROUP_NAME: s.groupName,
        HASH_KEY_FIELD: 'k',
      };
      const printed = await runCli(['acl'], clusterEnv, log);
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stdout).toContain(' +cluster|slots +cluster|info');
      // ACL rules are per node: an administrator runs the line on each.
      for (const node of cluster.nodes) {
        const reply = execFileSync('redis-cli', ['-p', String(node.port)], {
          input: printed.stdout.replace('><password>', `>${USER_PASSWORD}`),
          encoding: 'utf8',
        });
        expect(reply.trim()).toBe('OK');
        await node.client().call('ACL', 'LOG', 'RESET');
      }

      const r = await runCli(
        ['run', '--json'],
        { ...clusterEnv, REDIS_USERNAME: 'reclaimer', REDIS_PASSWORD: USER_PASSWORD },
        log,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ complete: true, failed: 0, orphaned: backlog.deleted.size });
      for (const node of cluster.nodes)
        expect(await node.client().call('ACL', 'LOG'), `ACL LOG of 127.0.0.1:${node.port}`).toEqual([]);
      const report = await checkInvariant(admin, s, backlog, { final: true });
      expect(report.violations).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });
});
