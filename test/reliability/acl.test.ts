/**
 * Least privilege: the ACL rules of docs/reliability.md, applied to a real server. The
 * reclaimer runs as its user (CLI, including dead-lettering, orphans and consumer clean-up)
 * with no command denied (ACL LOG stays empty), and commands outside the rule are refused.
 */
import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSettings } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { checkInvariant } from '../helpers/invariant';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { OutputLog, PASSWORD, runCli, seedBacklog } from './support';

const USER_PASSWORD = 'Acl-Us3r-Secret-pw';
let server: RedisServer;
let admin: Redis;
const log = new OutputLog();
const extra: Redis[] = [];

beforeAll(async () => {
  ensureBuilt();
  server = await startRedis({ tcp: true, args: ['--requirepass', PASSWORD] });
  admin = server.client(PASSWORD);
});
afterAll(async () => {
  for (const c of extra) c.disconnect();
  await server?.stop();
  expect(log.leaks(PASSWORD)).toEqual([]);
  expect(log.leaks(USER_PASSWORD)).toEqual([]);
});

/**
 * The rule for `name` from docs/reliability.md (the fenced block after the marker comment),
 * with the placeholders filled in: the test checks the documented rule, not a copy of it.
 */
function documentedRule(marker: string, values: Record<string, string>): string[] {
  const doc = readFileSync('docs/reliability.md', 'utf8');
  const block = new RegExp(`<!-- ${marker} -->\\s*\`\`\`\\w*\\n([^\`]+)\`\`\``).exec(doc)?.[1];
  if (!block) throw new Error(`no rule marked ${marker} in docs/reliability.md`);
  let text = block.replace(/\\\n/g, ' ');
  for (const [k, v] of Object.entries(values)) text = text.split(`<${k}>`).join(v);
  const words = text.trim().split(/\s+/);
  // `ACL SETUSER <user> rules…`
  expect(words.slice(0, 2)).toEqual(['ACL', 'SETUSER']);
  return words.slice(2);
}

async function as(user: string): Promise<Redis> {
  const c = new Redis({ host: '127.0.0.1', port: server.port, username: user, password: USER_PASSWORD, maxRetriesPerRequest: 1 });
  extra.push(c);
  return c;
}

describe('the reclaimer ACL user', () => {
  it('can do a whole run — claims, hashes, dead letters, orphans, consumer clean-up — with nothing denied', async () => {
    const settings = testSettings(server, { HASH_KEY_FIELD: 'k', MAX_DELIVERIES: '5' });
    const backlog = await seedBacklog(admin, settings, 2_000);
    await admin.xgroup('CREATECONSUMER', settings.streamName, settings.groupName, 'long-gone');
    const rule = documentedRule('acl-reclaimer', {
      PASSWORD: USER_PASSWORD,
      STREAM_NAME: settings.streamName,
      DEAD_LETTER_STREAM: settings.deadLetterStream,
      HASH_KEY_PREFIX: settings.hashKeyPrefix,
    });
    await admin.call('ACL', 'SETUSER', ...rule);
    await admin.call('ACL', 'LOG', 'RESET');

    const r = await runCli(['run', '--json'], {
      REDIS_HOST: `127.0.0.1:${server.port}`,
      REDIS_TLS: 'false',
      REDIS_USERNAME: 'reclaimer',
      REDIS_PASSWORD: USER_PASSWORD,
      STREAM_NAME: settings.streamName,
      STREAM_CONSUMER_GROUP_NAME: settings.groupName,
      HASH_KEY_FIELD: 'k',
      DEREGISTER_IDLE_SEC: '0.001',
    }, log);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ complete: true, failed: 0, orphaned: backlog.deleted.size });
    expect(summary.deadLettered).toBeGreaterThan(0);
    expect(summary.deregistered).toBeGreaterThanOrEqual(1);
    // Not even a swallowed denial (ioredis ignores a failed CLIENT SETNAME, for instance).
    expect(await admin.call('ACL', 'LOG')).toEqual([]);
    const report = await checkInvariant(admin, settings, backlog, { final: true });
    expect(report.violations).toEqual([]);
  });

  it('is refused everything outside the rule, scripts included', async () => {
    const settings = testSettings(server);
    await admin.call('ACL', 'SETUSER', ...documentedRule('acl-reclaimer', {
      PASSWORD: USER_PASSWORD,
      STREAM_NAME: settings.streamName,
      DEAD_LETTER_STREAM: settings.deadLetterStream,
      HASH_KEY_PREFIX: settings.hashKeyPrefix,
    }));
    await admin.set('someone-elses-key', 'precious');
    const user = await as('reclaimer');
    const refused: [string, () => Promise<unknown>][] = [
      ['FLUSHALL', () => user.flushall()],
      ['DEL other key', () => user.del('someone-elses-key')],
      ['CONFIG GET', () => user.config('GET', 'requirepass')],
      ['KEYS', () => user.keys('*')],
      ['HSET outside the prefix', () => user.hset('elsewhere:1', 'f', 'v')],
      ['XADD to another stream', () => user.xadd('another-stream', '*', 'f', 'v')],
      ['DEL the stream itself', () => user.del(settings.streamName)],
      ['ACL SETUSER', () => user.call('ACL', 'SETUSER', 'reclaimer', '+@all')],
      ['EVAL calling FLUSHALL', () => user.eval("return redis.call('FLUSHALL')", 0)],
      ['EVAL touching another key', () => user.eval("return redis.call('XADD', KEYS[1], '*', 'f', 'v')", 1, 'another-stream')],
    ];
    for (const [what, attempt] of refused) {
      const error = await attempt().then(() => undefined, (e: unknown) => e as Error);
      log.error(what, error);
      // Inside a script Redis says "The user executing the script can't run this command".
      expect(error?.message, what).toMatch(/NOPERM|user executing the script can't run/);
    }
    expect(await admin.get('someone-elses-key')).toBe('precious');
  });
});
