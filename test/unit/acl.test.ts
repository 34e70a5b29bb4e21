import { describe, expect, it } from 'vitest';
import { aclKeys, aclRule, aclSetuserCommand, parseRedisVersion, quoteArg, widenedNames, type AclServer, type AclSettings } from '../../src/ops/acl';

const base: AclSettings = { streamName: 'orders', deadLetterStream: 'orders:dlq', hashKeyPrefix: 'orders:', redisCluster: false, deregisterIdleMs: undefined };
const redis = (major: number, minor: number): AclServer => ({ name: 'redis', version: [major, minor, 0] });
const valkey = (major: number, minor: number): AclServer => ({ name: 'valkey', version: [major, minor, 0] });
const rule = (server: AclServer, settings: Partial<AclSettings> = {}, operator = false): string[] =>
  aclRule({ ...base, ...settings }, server, { user: 'reclaimer', operator });

describe('aclRule', () => {
  it('starts from nothing: reset, the password placeholder, the keys, then -@all and the commands', () => {
    expect(rule(redis(7, 2)).slice(0, 7)).toEqual(['reset', 'on', '><password>', '~orders', '~orders:*', 'resetchannels', '-@all']);
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
    for (const extra of ['+xgroup|delconsumer', '+cluster|slots', '+cluster|info', '+time']) expect(plain).not.toContain(extra);
    expect(rule(redis(7, 2), { deregisterIdleMs: 60_000 })).toContain('+xgroup|delconsumer');
    expect(rule(redis(7, 2), { redisCluster: true })).toEqual(expect.arrayContaining(['+cluster|slots', '+cluster|info']));
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
    expect(aclKeys({ ...base, streamName: 'a*b?[c]\\d', deadLetterStream: 'x', hashKeyPrefix: 'p*' })).toEqual(['~a\\*b\\?\\[c\\]\\\\d', '~x', '~p\\**']);
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
