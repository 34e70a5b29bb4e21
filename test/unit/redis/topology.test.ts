import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { isCrossSlot, runKeys } from '../../../src/redis/topology';

describe('runKeys: what the probe of a run asks about', () => {
  it('holds a hash key in another slot than the stream when the prefix is untagged', () => {
    for (const stream of ['orders', 'payments', 'a', 'x:y:z']) {
      const [s, , hash] = runKeys({ stream, deadLetter: `${stream}:dlq`, hashPrefix: `${stream}:` });
      expect(s).toBe(stream);
      expect(hash?.startsWith(`${stream}:`)).toBe(true); // inside the ACL's `<prefix>*` pattern
      expect(calculateSlot(hash as string)).not.toBe(calculateSlot(stream));
    }
  });

  it("stays in one slot when every key carries the stream's tag (nothing to ask)", () => {
    const keys = runKeys({ stream: '{orders}', deadLetter: '{orders}:dlq', hashPrefix: '{orders}:' });
    expect(new Set(keys.map((k) => calculateSlot(k))).size).toBe(1);
  });
});

describe('isCrossSlot', () => {
  it('knows the refusal by its code only', () => {
    expect(isCrossSlot(new Error("CROSSSLOT Keys in request don't hash to the same slot"))).toBe(true);
    expect(isCrossSlot(new Error('ERR Script attempted to access keys that do not hash to the same slot'))).toBe(false);
    expect(isCrossSlot('CROSSSLOT')).toBe(false);
  });
});
