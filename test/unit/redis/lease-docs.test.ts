/**
 * docs/operations.md hands consumers in other languages the lease script to run with EVAL: that
 * copy must be the script renewLease sends (its body, below the header), or they would renew
 * differently from the library.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import renewLeaseLua from '../../../src/redis/scripts/renew-lease.lua';

describe('the lease script in docs/operations.md', () => {
  it('is the body of src/redis/scripts/renew-lease.lua, exactly', () => {
    const docs = readFileSync('docs/operations.md', 'utf8');
    const section = docs.slice(docs.indexOf('## Leases'));
    const copy = /```lua\n([\s\S]*?)```/.exec(section)?.[1];
    const body = renewLeaseLua.slice(renewLeaseLua.indexOf(']]\n') + 3);
    expect(body.startsWith('local stream, group, consumer')).toBe(true);
    expect(copy).toBe(body);
  });
});
