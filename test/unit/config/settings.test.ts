import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../../src/errors';
import {
  CONNECTION_SETTINGS,
  DEFAULTS,
  isSingleTarget,
  loadSettings,
  SETTING_NAMES,
  streamKeys,
  type SettingName,
} from '../../../src/config/settings';
import { parseDuration } from '../../../src/config/duration';

const base = {
  REDIS_HOST: 'cache.example:6380',
  STREAM_NAME: '{orders}:stream',
  STREAM_CONSUMER_GROUP_NAME: 'workers',
};

function problems(env: Record<string, string>, use?: readonly SettingName[]): string[] {
  try {
    loadSettings(env, {}, use ? { use } : undefined);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return [...(error as SettingsError).problems];
  }
  throw new Error('expected a SettingsError');
}

describe('loadSettings', () => {
  it('applies the documented defaults', () => {
    const s = loadSettings(base);
    expect(s).toMatchObject({
      redisHost: 'cache.example',
      redisPort: 6380,
      redisTls: true,
      redisAuth: 'password',
      redisCluster: false,
      consumerName: 'reclaimer',
      minIdleMs: 60_000,
      maxDeliveries: 5,
      deadLetterStream: '{orders}:stream:dlq',
      hashKeyPrefix: '{orders}:stream:',
      hashKeyField: '',
      batchSize: 100,
      concurrency: 16,
      maxRunMs: 240_000,
      schedule: '*/20 * * * * *',
      deregisterIdleMs: undefined,
      dryRun: false,
    });
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
  });

  it('reads host forms: host alone, [ipv6]:port, and a unix socket (TLS off by default there)', () => {
    expect(loadSettings({ ...base, REDIS_HOST: 'redis' })).toMatchObject({ redisHost: 'redis', redisPort: 6379 });
    expect(loadSettings({ ...base, REDIS_HOST: '[::1]:7000' })).toMatchObject({ redisHost: '::1', redisPort: 7000 });
    expect(loadSettings({ ...base, REDIS_HOST: '/run/redis.sock' })).toMatchObject({
      redisPath: '/run/redis.sock',
      redisTls: false,
    });
  });

  it('treats an empty value as the default and accepts decimals for idle time', () => {
    const s = loadSettings({ ...base, MAX_DELIVERIES: '', MIN_IDLE_TIME_SEC: '0.5', DEREGISTER_IDLE_SEC: '3600' });
    expect(s.maxDeliveries).toBe(5);
    expect(s.minIdleMs).toBe(500);
    expect(s.deregisterIdleMs).toBe(3_600_000);
  });

  it('reports every problem at once, naming the setting, the value and what is expected', () => {
    const list = problems({
      MIN_IDLE_TIME_SEC: '-1',
      MAX_DELIVERIES: 'abc',
      BATCH_SIZE: '0',
      REDIS_AUTH: 'kerberos',
      REDIS_TLS: 'maybe',
      RECLAIM_SCHEDULE: '*/5 * * * *',
    });
    expect(list).toEqual(
      expect.arrayContaining([
        'Expected `REDIS_HOST` to be set (`host:port`, `host` or an absolute unix-socket path), got nothing',
        'Expected `STREAM_NAME` to be set (the stream key), got nothing',
        'Expected `STREAM_CONSUMER_GROUP_NAME` to be set (the consumer group name), got nothing',
        'Expected `MIN_IDLE_TIME_SEC` to be a number >= 0, got `-1`',
        'Expected `MAX_DELIVERIES` to be an integer from 1 to 9007199254740991 (2^53 - 1), got `abc`',
        'Expected `BATCH_SIZE` to be an integer from 1 to 10000, got `0`',
        'Expected `REDIS_AUTH` to be `password` or `entra`, got `kerberos`',
        'Expected `REDIS_TLS` to be `true` or `false` (also 1/0, yes/no, any case), got `maybe`',
      ]),
    );
    expect(list.some((p) => p.startsWith('Expected `RECLAIM_SCHEDULE` to be a 6-field NCRONTAB'))).toBe(true);
    expect(list).toHaveLength(9);
  });

  it('never echoes a secret', () => {
    const list = problems({ ...base, REDIS_AUTH: 'entra', REDIS_PASSWORD: 'hunter2-secret' });
    expect(list.join('\n')).not.toContain('hunter2-secret');
    expect(list).toEqual(['Expected `REDIS_PASSWORD` to be empty when `REDIS_AUTH` is `entra`, got a password']);
  });

  it('rejects a bad host and a dead-letter stream equal to the stream', () => {
    expect(problems({ ...base, REDIS_HOST: 'a:99999', DEAD_LETTER_STREAM: '{orders}:stream' })).toEqual([
      'Expected `REDIS_HOST` to be `host:port`, `host` or an absolute unix-socket path, got `a:99999`',
      'Expected `DEAD_LETTER_STREAM` to differ from `STREAM_NAME`, got `{orders}:stream`',
    ]);
  });

  it('lists every setting of docs/design.md among the names it reads', () => {
    for (const name of [
      'REDIS_HOST',
      'REDIS_PASSWORD',
      'REDIS_USERNAME',
      'REDIS_TLS',
      'REDIS_TLS_CA_FILE',
      'REDIS_AUTH',
      'REDIS_CLUSTER',
      'STREAM_NAME',
      'STREAM_CONSUMER_GROUP_NAME',
      'MONITORING_CONSUMER_NAME',
      'MIN_IDLE_TIME_SEC',
      'MAX_DELIVERIES',
      'DEAD_LETTER_STREAM',
      'HASH_KEY_PREFIX',
      'HASH_KEY_FIELD',
      'BATCH_SIZE',
      'CONCURRENCY',
      'MAX_RUN_SEC',
      'RECLAIM_SCHEDULE',
      'DEREGISTER_IDLE_SEC',
      'DRY_RUN',
    ]) {
      expect(SETTING_NAMES).toContain(name);
    }
  });
});

describe('operator-friendly settings', () => {
  const base = { REDIS_HOST: 'localhost:6379', STREAM_NAME: 's', STREAM_CONSUMER_GROUP_NAME: 'g' };

  it('reads booleans as true/false, 1/0, yes/no in any case', () => {
    for (const [text, value] of [
      ['TRUE', true],
      ['1', true],
      ['Yes', true],
      ['false', false],
      ['0', false],
      ['NO', false],
    ] as const) {
      expect(loadSettings({ ...base, REDIS_TLS: text, DRY_RUN: text }), text).toMatchObject({
        redisTls: value,
        dryRun: value,
      });
    }
  });

  it('reads REDIS_CLUSTER as a boolean or `proxy` (one endpoint that shards), in any case', () => {
    for (const [text, cluster, proxy] of [
      ['TRUE', true, false],
      ['0', false, false],
      ['proxy', false, true],
      ['PROXY', false, true],
      ['', false, false],
    ] as const) {
      expect(loadSettings({ ...base, REDIS_CLUSTER: text }), text).toMatchObject({
        redisCluster: cluster,
        redisProxy: proxy,
      });
    }
    expect(problems({ ...base, REDIS_CLUSTER: 'enterprise' })).toEqual([
      'Expected `REDIS_CLUSTER` to be `true`, `false` (also 1/0, yes/no, any case) or `proxy`, got `enterprise`',
    ]);
  });

  it('names the schedule field that is out of range', () => {
    const list = problems({ ...base, RECLAIM_SCHEDULE: '61 * * * * *' });
    expect(list).toHaveLength(1);
    expect(list[0]).toContain('field 1 (second) is `61`: expected values from 0 to 59');
    expect(problems({ ...base, RECLAIM_SCHEDULE: '0 0 25 * * *' })[0]).toContain('field 3 (hour)');
  });

  it('a missing REDIS_TLS_CA_FILE is a settings error', () => {
    expect(problems({ ...base, REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' })).toEqual([
      'Expected `REDIS_TLS_CA_FILE` to be the path of an existing PEM file, got `/nonexistent/ca.pem`',
    ]);
  });

  it('validates only the settings in scope: a bad schedule does not block a command that never reads it', () => {
    const env = { ...base, STREAM_CONSUMER_GROUP_NAME: '', RECLAIM_SCHEDULE: 'bogus', BATCH_SIZE: '0' };
    const scoped = loadSettings(
      env,
      {},
      {
        use: [...CONNECTION_SETTINGS, 'STREAM_NAME', 'STREAM_CONSUMER_GROUP_NAME'],
        optional: ['STREAM_CONSUMER_GROUP_NAME'],
      },
    );
    expect(scoped).toMatchObject({ streamName: 's', groupName: '', batchSize: 100 });
    expect(problems(env)).toHaveLength(3);
    expect(() => loadSettings({ ...env, REDIS_TLS: 'maybe' }, {}, { use: CONNECTION_SETTINGS })).toThrow(/REDIS_TLS/);
  });
});

describe('parseDuration', () => {
  it('reads plain seconds, one unit and combined units; rejects the rest naming the forms', () => {
    expect([
      parseDuration('90'),
      parseDuration('45s'),
      parseDuration('1h30m'),
      parseDuration('7d'),
      parseDuration('2W'),
    ]).toEqual([90_000, 45_000, 5_400_000, 604_800_000, 1_209_600_000]);
    for (const bad of ['a week', '1h 30m', '', 'h', '-5m'])
      expect(() => parseDuration(bad, '`--older-than` to be a duration'), bad).toThrow(/`1h30m`/);
  });
});

// Issue 18: stream lists, STREAM_PATTERN, group lists and `*`, decided once in config.
const host = { REDIS_HOST: 'cache.example:6380' };

describe('targets in settings', () => {
  it("one stream and one group: today's settings, a single target", () => {
    const s = loadSettings({ ...host, STREAM_NAME: 'orders', STREAM_CONSUMER_GROUP_NAME: 'workers' });
    expect(s).toMatchObject({
      streamName: 'orders',
      groupName: 'workers',
      deadLetterStream: 'orders:dlq',
      hashKeyPrefix: 'orders:',
    });
    expect(s.targets).toEqual({
      streams: ['orders'],
      groups: ['workers'],
      deadLetterStream: undefined,
      hashKeyPrefix: undefined,
    });
    expect(isSingleTarget(s.targets)).toBe(true);
  });

  it('lists are split on commas and trimmed; repeats and empty items dropped; explicit keys kept for every target', () => {
    const s = loadSettings({
      ...host,
      STREAM_NAME: ' a , b,a,',
      STREAM_CONSUMER_GROUP_NAME: 'g1, g2',
      DEAD_LETTER_STREAM: 'all:dlq',
    });
    expect(s.targets).toEqual({
      streams: ['a', 'b'],
      groups: ['g1', 'g2'],
      deadLetterStream: 'all:dlq',
      hashKeyPrefix: undefined,
    });
    expect(isSingleTarget(s.targets)).toBe(false);
  });

  it('`*` means every group; STREAM_PATTERN alone needs no STREAM_NAME', () => {
    const s = loadSettings({ ...host, STREAM_PATTERN: 'events:*', STREAM_CONSUMER_GROUP_NAME: '*' });
    expect(s.targets).toEqual({
      pattern: 'events:*',
      groups: '*',
      deadLetterStream: undefined,
      hashKeyPrefix: undefined,
    });
    expect(isSingleTarget(s.targets)).toBe(false);
  });

  it('both STREAM_NAME and STREAM_PATTERN: an error, listed with every other problem', () => {
    expect(
      problems({
        ...host,
        STREAM_NAME: 'a',
        STREAM_PATTERN: 'events:*',
        STREAM_CONSUMER_GROUP_NAME: 'g',
        MAX_DELIVERIES: '0',
      }),
    ).toEqual([
      'Expected `MAX_DELIVERIES` to be an integer from 1 to 9007199254740991 (2^53 - 1), got `0`',
      'Expected `STREAM_PATTERN` to be empty when `STREAM_NAME` is set (set exactly one of them), got `events:*`',
    ]);
  });

  it('neither STREAM_NAME nor STREAM_PATTERN: STREAM_NAME is required', () => {
    expect(problems({ ...host, STREAM_CONSUMER_GROUP_NAME: 'g' })).toEqual([
      'Expected `STREAM_NAME` to be set (the stream key), got nothing',
    ]);
  });

  it('a command that does not read STREAM_PATTERN still needs STREAM_NAME', () => {
    expect(
      problems({ ...host, STREAM_PATTERN: 'events:*', STREAM_CONSUMER_GROUP_NAME: 'g' }, [
        'REDIS_HOST',
        'STREAM_NAME',
        'STREAM_CONSUMER_GROUP_NAME',
      ]),
    ).toEqual(['Expected `STREAM_NAME` to be set (the stream key), got nothing']);
  });

  it('`*` mixed with names, and a dead-letter stream equal to a listed stream, are errors', () => {
    expect(
      problems({ ...host, STREAM_NAME: 'a,b', STREAM_CONSUMER_GROUP_NAME: 'g,*', DEAD_LETTER_STREAM: 'b' }),
    ).toEqual([
      'Expected `STREAM_CONSUMER_GROUP_NAME` to be a group name, a comma-separated list of names, or `*` alone, got `g,*`',
      'Expected `DEAD_LETTER_STREAM` to differ from `STREAM_NAME`, got `b`',
    ]);
  });

  it('a STREAM_PATTERN Redis would read otherwise than written is refused, naming the pattern and what is wrong', () => {
    const base = { ...host, STREAM_CONSUMER_GROUP_NAME: 'g' };
    expect(problems({ ...base, STREAM_PATTERN: 'ev[ab*' })).toEqual([
      'Expected `STREAM_PATTERN` to be a Redis glob such as `events:*`, got `ev[ab*` (the `[` at position 3 is never closed by `]` (write `\\[` for a literal bracket))',
    ]);
    expect(problems({ ...base, STREAM_PATTERN: 'events:\\' })).toEqual([
      'Expected `STREAM_PATTERN` to be a Redis glob such as `events:*`, got `events:\\` (it ends with a lone `\\` (write `\\\\` for a literal backslash))',
    ]);
    expect(loadSettings({ ...base, STREAM_PATTERN: 'ev[a\\]]:\\[x*' }).targets).toMatchObject({
      pattern: 'ev[a\\]]:\\[x*',
    });
  });

  it('the per-stream key defaults come from one function; explicit keys apply to every stream', () => {
    expect(streamKeys('orders')).toEqual({ deadLetterStream: 'orders:dlq', hashKeyPrefix: 'orders:' });
    expect(streamKeys('orders', { deadLetterStream: 'all:dlq', hashKeyPrefix: 'h:' })).toEqual({
      deadLetterStream: 'all:dlq',
      hashKeyPrefix: 'h:',
    });
  });

  it('STREAM_PATTERN is a setting the product reads', () => {
    expect(SETTING_NAMES).toContain('STREAM_PATTERN');
  });
});
