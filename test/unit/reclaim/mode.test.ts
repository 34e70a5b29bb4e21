/** The settling mode a run picks: dry run, fast (one slot, hash writer), atomic, or split. */
import { describe, expect, it } from 'vitest';
import { chooseMode } from '../../../src/reclaim/mode';

describe('chooseMode', () => {
  const base = { dryRun: false, cluster: false, sameSlot: false, fastPathAllowed: true };
  it('dry run wins over everything', () => {
    expect(chooseMode({ ...base, dryRun: true })).toBe('dry-run');
    expect(chooseMode({ ...base, dryRun: true, cluster: true })).toBe('dry-run');
  });

  it('fast with the hash writer where every key is in one slot', () => {
    expect(chooseMode(base)).toBe('fast');
    expect(chooseMode({ ...base, cluster: true, sameSlot: true })).toBe('fast');
  });

  it('atomic with another processor (or the fast path off), split on a cluster whose keys are in several slots', () => {
    expect(chooseMode({ ...base, fastPathAllowed: false })).toBe('atomic');
    expect(chooseMode({ ...base, fastPathAllowed: false, cluster: true, sameSlot: true })).toBe('atomic');
    expect(chooseMode({ ...base, cluster: true })).toBe('split');
    expect(chooseMode({ ...base, fastPathAllowed: false, cluster: true })).toBe('split');
  });
});
