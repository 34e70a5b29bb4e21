import { describe, expect, it } from 'vitest';
import { buildKeys, carriesTagOf, hashTag } from '../../../src/redis/keys';

describe('hashTag', () => {
  it('follows the Redis Cluster rule: first { to the next }, non-empty', () => {
    expect(hashTag('{orders}:stream')).toBe('orders');
    expect(hashTag('a{b}{c}')).toBe('b');
    expect(hashTag('{}orders')).toBeUndefined();
    expect(hashTag('orders')).toBeUndefined();
    expect(hashTag('{orders')).toBeUndefined();
  });
});

describe('buildKeys', () => {
  it('knows when every key shares the stream slot', () => {
    expect(buildKeys({ streamName: '{o}:s', deadLetterStream: '{o}:s:dlq', hashKeyPrefix: '{o}:h:' }).sameSlot).toBe(
      true,
    );
    // The prefix alone must carry the tag: a key value could otherwise complete another one.
    expect(buildKeys({ streamName: '{o}:s', deadLetterStream: '{o}:dlq', hashKeyPrefix: 'h:{' }).sameSlot).toBe(false);
    expect(buildKeys({ streamName: 'orders', deadLetterStream: 'orders:dlq', hashKeyPrefix: 'orders:' }).sameSlot).toBe(
      false,
    );
    expect(buildKeys({ streamName: '{o}:s', deadLetterStream: '{p}:dlq', hashKeyPrefix: '{o}:' }).sameSlot).toBe(false);
  });

  it('builds binary-safe hash keys from the prefix', () => {
    const keys = buildKeys({ streamName: 's', deadLetterStream: 'd', hashKeyPrefix: 'p:' });
    expect(keys.hashKey(Buffer.from([0xff, 0x00]))).toEqual(Buffer.from([0x70, 0x3a, 0xff, 0x00]));
  });
});

describe('carriesTagOf (the hash-tag rule, once)', () => {
  it('holds when the key has the stream tag, by the Redis Cluster rule', () => {
    expect(carriesTagOf('{orders}:dlq', '{orders}')).toBe(true);
    expect(carriesTagOf('x{orders}y{other}', 'a{orders}')).toBe(true);
    expect(carriesTagOf(Buffer.from('{orders}:h:'), '{orders}:s')).toBe(true);
  });

  it('fails on tricky keys: no tag, an empty tag, an unclosed one, another tag, the second braces', () => {
    expect(carriesTagOf('orders:dlq', 'orders')).toBe(false);
    expect(carriesTagOf('{}orders', '{}orders')).toBe(false);
    expect(carriesTagOf('{orders', '{orders')).toBe(false);
    expect(carriesTagOf('{other}', '{orders}')).toBe(false);
    expect(carriesTagOf('{}{orders}', '{orders}')).toBe(false);
    expect(carriesTagOf('h:{', '{o}:s')).toBe(false);
  });
});
