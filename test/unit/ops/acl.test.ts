import { describe, expect, it } from 'vitest';
import {
  aclKeys,
  aclRule,
  aclSetuserCommand,
  azurePermissions,
  parseRedisVersion,
  quoteArg,
  widenedNames,
  type AclServer,
  type AclSettings,
} from '../../../src/ops/acl';
import { globTokens } from '../../../src/config/glob';
import type { TargetSpec } from '../../../src/config/settings';

const base: AclSettings = {
  streamName: 'orders',
  deadLetterStream: 'orders:dlq',
  hashKeyPrefix: 'orders:',
  redisCluster: false,
  deregisterIdleMs: undefined,
};
const redis = (major: number, minor: number): AclServer => ({ name: 'redis', version: [major, minor, 0] });
const valkey = (major: number, minor: number): AclServer => ({ name: 'valkey', version: [major, minor, 0] });
/** Settings of several targets (the keys then come from the spec, as loadSettings builds it). */
const spec = (targets: Partial<TargetSpec> & ({ streams: string[] } | { pattern: string })): AclSettings => ({
  ...base,
  streamName: '',
  targets: { groups: '*', deadLetterStream: undefined, hashKeyPrefix: undefined, ...targets },
});
const rule = (server: AclServer, settings: Partial<AclSettings> = {}, operator = false): string[] =>
  aclRule({ ...base, ...settings }, server, { user: 'reclaimer', operator });

describe('aclRule', () => {
  it('starts from nothing: reset, the password placeholder, the keys, then -@all and the commands', () => {
    expect(rule(redis(7, 2)).slice(0, 7)).toEqual([
      'reset',
      'on',
      '><password>',
      '~orders',
      '~orders:*',
      'resetchannels',
      '-@all',
    ]);
  });

  it.each([
    ['Redis 6.0', redis(6, 0), false, true],
    ['Redis 6.2', redis(6, 2), true, true],
    ['Redis 7.0', redis(7, 0), true, false],
    ['Redis 7.1', redis(7, 1), true, false],
    ['Redis 7.2', redis(7, 2), true, true],
    ['Redis 8.0', redis(8, 0), true, true],
    ['Valkey 7.2', valkey(7, 2), true, true],
    ['Valkey 8.1', valkey(8, 1), true, true],
    ['Valkey 9.1', valkey(9, 1), true, true],
  ])('%s: resetchannels %s, +client|setinfo %s', (_, server, channels, setinfo) => {
    const words = rule(server);
    expect(words.includes('resetchannels')).toBe(channels);
    expect(words.includes('+client|setinfo')).toBe(setinfo);
  });

  it('adds consumer clean-up, the cluster slot map and the operator commands only when asked', () => {
    const plain = rule(redis(7, 2));
    for (const extra of ['+xgroup|delconsumer', '+cluster|slots', '+cluster|info', '+time'])
      expect(plain).not.toContain(extra);
    expect(rule(redis(7, 2), { deregisterIdleMs: 60_000 })).toContain('+xgroup|delconsumer');
    expect(rule(redis(7, 2), { redisCluster: true })).toEqual(
      expect.arrayContaining(['+cluster|slots', '+cluster|info']),
    );
    expect(rule(redis(7, 2), {}, true)).toContain('+time');
    expect(plain.filter((w) => w.startsWith('+') && !w.includes('|'))).not.toContain('+client');
  });
});

describe('aclKeys', () => {
  it('names the dead-letter stream only when the hash prefix does not cover it', () => {
    expect(aclKeys(base)).toEqual(['~orders', '~orders:*']);
    expect(aclKeys({ ...base, deadLetterStream: 'dead', hashKeyPrefix: 'h:' })).toEqual(['~orders', '~dead', '~h:*']);
  });

  it('turns whitespace, which Redis refuses in a pattern, into ? and says which names it widened', () => {
    const spaced = { ...base, streamName: 'my orders', deadLetterStream: 'dead\tletters', hashKeyPrefix: 'h:' };
    expect(aclKeys(spaced)).toEqual(['~my?orders', '~dead?letters', '~h:*']);
    expect(widenedNames(spaced)).toEqual(['STREAM_NAME', 'DEAD_LETTER_STREAM']);
    expect(widenedNames(base)).toEqual([]);
  });

  it('escapes glob characters, so a name matches only itself', () => {
    expect(aclKeys({ ...base, streamName: 'a*b?[c]\\d', deadLetterStream: 'x', hashKeyPrefix: 'p*' })).toEqual([
      '~a\\*b\\?\\[c\\]\\\\d',
      '~x',
      '~p\\**',
    ]);
  });
});

describe('aclKeys with several targets', () => {
  it('a STREAM_NAME list: every stream, its dead-letter stream (under its hash prefix) and hashes; shared keys once', () => {
    expect(aclKeys(spec({ streams: ['a', 'b'] }))).toEqual(['~a', '~a:*', '~b', '~b:*']);
    expect(aclKeys(spec({ streams: ['a', 'b*'], deadLetterStream: 'dead', hashKeyPrefix: 'h:' }))).toEqual([
      '~a',
      '~dead',
      '~h:*',
      '~b\\*',
    ]);
    // One stream's hash prefix covers another stream: that stream needs no pattern of its own.
    expect(aclKeys(spec({ streams: ['x', 'x:y'] }))).toEqual(['~x', '~x:*']);
  });

  it('STREAM_PATTERN: the pattern, <pattern>:dlq and <pattern>:*, less what the pattern covers; SCAN allowed', () => {
    expect(aclKeys(spec({ pattern: 'events:*' }))).toEqual(['~events:*']);
    expect(aclKeys(spec({ pattern: 'ev[ab]?' }))).toEqual(['~ev[ab]?', '~ev[ab]?:*']);
    expect(aclKeys(spec({ pattern: 'e\\*' }))).toEqual(['~e\\*', '~e\\*:*']);
    expect(aclKeys(spec({ pattern: 'ev:?', deadLetterStream: 'dead', hashKeyPrefix: 'h*' }))).toEqual([
      '~ev:?',
      '~dead',
      '~h\\**',
    ]);
    expect(aclRule(spec({ pattern: 'ev:*' }), redis(6, 0), { user: 'u', operator: false })).toContain('+scan');
    expect(rule(redis(6, 0))).not.toContain('+scan');
    expect(aclRule(spec({ streams: ['a', 'b'] }), redis(6, 0), { user: 'u', operator: false })).not.toContain('+scan');
  });

  it('whitespace in a pattern: its token (a character, an escape, a class) becomes ?, and the name is reported', () => {
    expect(aclKeys(spec({ pattern: 'my ev[ x]\\ *' }))).toEqual(['~my?ev??*']);
    expect(widenedNames(spec({ pattern: 'my ev*' }))).toEqual(['STREAM_PATTERN']);
    expect(widenedNames(spec({ streams: ['a', 'b c'] }))).toEqual(['STREAM_NAME']);
    expect(widenedNames(spec({ streams: ['a', 'b'], deadLetterStream: 'd l' }))).toEqual(['DEAD_LETTER_STREAM']);
  });

  it('a pattern with an unclosed [ or a trailing lone \\ is refused, naming it', () => {
    expect(() => aclKeys(spec({ pattern: 'ev[ab' }))).toThrow(
      'Expected `STREAM_PATTERN` to close every `[` and not to end with a lone `\\`',
    );
    expect(() => aclKeys(spec({ pattern: 'ev\\' }))).toThrow('got `ev\\`');
  });

  it('globTokens reads a glob as Redis does: escapes, classes with escapes and ranges (a-] is a range)', () => {
    expect(globTokens('a\\*[b\\]c]?[^x]*')).toEqual(['a', '\\*', '[b\\]c]', '?', '[^x]', '*']);
    expect(globTokens('ev[a-]x]')).toEqual(['e', 'v', '[a-]x]']);
    expect(globTokens('[]x')).toEqual(['[]', 'x']);
    for (const bad of ['[', '[ab', 'a\\', '[a-]']) expect(globTokens(bad), bad).toBeUndefined();
  });
});

describe('aclSetuserCommand', () => {
  it('is one line: ACL SETUSER, the user, the rule', () => {
    const line = aclSetuserCommand(base, redis(6, 0), { user: 'svc', operator: false });
    expect(line).not.toContain('\n');
    expect(line.startsWith('ACL SETUSER svc reset on ><password> ~orders ~orders:* -@all +ping')).toBe(true);
  });

  it('quotes words redis-cli would split or unescape, and leaves plain ones bare', () => {
    expect(quoteArg('~orders:*')).toBe('~orders:*');
    expect(quoteArg('~my orders')).toBe('"~my orders"');
    expect(quoteArg('~a"b\\*')).toBe('"~a\\"b\\\\*"');
    expect(quoteArg("~it's")).toBe('"~it\'s"');
    expect(quoteArg('~é\n')).toBe('"~\\xc3\\xa9\\x0a"');
  });
});

describe('parseRedisVersion', () => {
  it('reads X.Y and X.Y.Z, nothing else', () => {
    expect(parseRedisVersion('6.0')).toEqual(redis(6, 0));
    expect(parseRedisVersion('7.2.4')?.version).toEqual([7, 2, 4]);
    for (const bad of ['7', 'v7.2', '7.x', '', '7.2.4.1']) expect(parseRedisVersion(bad)).toBeUndefined();
  });
});

describe('azurePermissions (acl --azure)', () => {
  const azure = (server: AclServer, settings: Partial<AclSettings> = {}, operator = false): string[] =>
    azurePermissions({ ...base, ...settings }, server, operator).split(' ');

  it('is the ACL SETUSER rule without user, password or on: commands from nothing, key patterns, no channel', () => {
    expect(azurePermissions(base, redis(7, 4), false)).toBe(
      '-@all +ping +info +client|setname +client|setinfo +xinfo|groups +xinfo|consumers +type +xpending +xlen +xrevrange +evalsha +eval ' +
        '+xclaim +xrange +xack +xadd +hset +multi +exec +xdel ~orders ~orders:* resetchannels',
    );
  });

  it.each([
    ['Redis 6.0 (Azure Cache for Redis)', redis(6, 0), {}, false],
    [
      'Redis 7.4 (Azure Managed Redis), OSS cluster, clean-up, operator',
      redis(7, 4),
      { redisCluster: true, deregisterIdleMs: 1_000 },
      true,
    ],
    [
      'a stream list with its own dead-letter stream',
      redis(7, 4),
      { streamName: 'a', deadLetterStream: 'dead', hashKeyPrefix: 'h:' },
      false,
    ],
  ])('holds the same words as the SETUSER rule: %s', (_, server, settings, operator) => {
    const words = azure(server, settings, operator);
    const setuser = rule(server, settings, operator).filter((w) => !['reset', 'on', '><password>'].includes(w));
    expect([...words].sort()).toEqual([...setuser].sort());
    expect(words[0]).toBe('-@all'); // before any +command, so nothing else is allowed
    for (const word of words) expect(word).not.toMatch(/^(reset|on|off|nopass|>|<|#)$|^[><#]/);
  });

  it('names no channel rule on 6.0, which has none', () => {
    expect(azure(redis(6, 0))).not.toContain('resetchannels');
    expect(azure(redis(6, 2))).toContain('resetchannels');
  });
});
