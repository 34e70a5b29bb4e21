import { describe, expect, it } from 'vitest';
import { buildKeys, hashTag } from '../../src/redis/keys';
import { compareIds, nextId } from '../../src/reclaim/scan';

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
    expect(buildKeys({ streamName: '{o}:s', deadLetterStream: '{o}:s:dlq', hashKeyPrefix: '{o}:h:' }).sameSlot).toBe(true);
    // The prefix alone must carry the tag: a key value could otherwise complete another one.
    expect(buildKeys({ streamName: '{o}:s', deadLetterStream: '{o}:dlq', hashKeyPrefix: 'h:{' }).sameSlot).toBe(false);
    expect(buildKeys({ streamName: 'orders', deadLetterStream: 'orders:dlq', hashKeyPrefix: 'orders:' }).sameSlot).toBe(false);
    expect(buildKeys({ streamName: '{o}:s', deadLetterStream: '{p}:dlq', hashKeyPrefix: '{o}:' }).sameSlot).toBe(false);
  });

  it('builds binary-safe hash keys from the prefix', () => {
    const keys = buildKeys({ streamName: 's', deadLetterStream: 'd', hashKeyPrefix: 'p:' });
    expect(keys.hashKey(Buffer.from([0xff, 0x00]))).toEqual(Buffer.from([0x70, 0x3a, 0xff, 0x00]));
  });
});

describe('nextId', () => {
  it('is the smallest ID after the given one', () => {
    expect(nextId('1-0')).toBe('1-1');
    expect(nextId('1700000000000-41')).toBe('1700000000000-42');
    expect(nextId('5-18446744073709551615')).toBe('6-0');
  });
});

describe('compareIds', () => {
  it('orders stream IDs numerically, not as text', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareIds('10-10', '10-10')).toBe(0);
    expect(compareIds('1700000000001-0', '1700000000000-99')).toBeGreaterThan(0);
  });
});
