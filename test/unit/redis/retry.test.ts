/**
 * The retry policy's two definitions agree: src/redis/scripts/lib/retry.lua (run here in a real
 * Lua 5.1 interpreter, as Redis embeds) and its client twin src/redis/retry.ts (the dry run, wide
 * copies). Same answers for due-ness at each delivery count, malformed reclaim.deliveries, and
 * the copy's fields.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backoffWaitMs, isDue, priorDeliveries, requeueCopy } from '../../../src/redis/retry';

const dir = mkdtempSync(join(tmpdir(), 'retry-lua-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` after lib/retry.lua; returns what it printed, one value a line. */
function lua(body: string): string[] {
  const file = join(dir, `t${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(file, `${readFileSync('src/redis/scripts/lib/retry.lua', 'utf8')}\n${body}\n`);
  return execFileSync('lua5.1', [file], { encoding: 'utf8' }).trimEnd().split('\n');
}

const b = (values: string[]): Buffer[] => values.map((v) => Buffer.from(v));

describe('lib/retry.lua and src/redis/retry.ts', () => {
  it('decide due-ness alike at each delivery count, around each threshold, backoff on and off', () => {
    const minIdle = 60_000;
    const cases: [number, number, number | undefined][] = [];
    for (const max of [undefined, 600_000, 30_000]) {
      for (let d = 0; d <= 12; d++) {
        const wait = backoffWaitMs(d, minIdle, max);
        for (const idle of [wait - 1, wait, wait + 1, minIdle]) cases.push([idle, d, max]);
      }
    }
    const printed = lua(
      cases.map(([idle, d, max]) => `print(tostring(isDue(${idle}, ${d}, ${minIdle}, ${max ?? 'nil'})))`).join('\n'),
    );
    expect(printed).toEqual(cases.map(([idle, d, max]) => String(isDue(idle, d, minIdle, max))));
    // The rule itself, written out: 60 s, 120 s, 240 s, 480 s, then the ceiling.
    expect([1, 2, 3, 4, 5, 6].map((d) => backoffWaitMs(d, minIdle, 600_000))).toEqual([
      60_000, 120_000, 240_000, 480_000, 600_000, 600_000,
    ]);
  });

  it('read reclaim.deliveries alike: the first one, malformed or too long counts as 0', () => {
    const inputs = [
      ['a', '1'],
      ['reclaim.deliveries', '7'],
      ['reclaim.deliveries', '7', 'reclaim.deliveries', '9'],
      ['reclaim.deliveries', 'abc'],
      ['reclaim.deliveries', '-3'],
      ['reclaim.deliveries', '1.5'],
      ['reclaim.deliveries', ''],
      ['reclaim.deliveries', '123456789012345'],
      ['reclaim.deliveries', '1234567890123456'],
      ['x', 'reclaim.deliveries'],
    ];
    const printed = lua(
      inputs
        .map((f) => `print(string.format('%d', priorDeliveries({${f.map((v) => JSON.stringify(v)).join(',')}})))`)
        .join('\n'),
    );
    expect(printed.map(Number)).toEqual(inputs.map((f) => priorDeliveries(b(f))));
    expect(inputs.map((f) => priorDeliveries(b(f)))).toEqual([0, 7, 7, 0, 0, 0, 0, 123456789012345, 0, 0]);
  });

  it('build the same copy: reclaim.* pairs dropped, origin kept from the first copy, deliveries replaced', () => {
    const inputs: [string, string[], number][] = [
      ['5-1', ['a', '1', 'b', '2'], 2],
      ['9-0', ['reclaim.origin', '1-1', 'a', '1', 'reclaim.deliveries', '3', 'reclaim.origin', '2-2'], 4],
      ['7-7', [], 1],
    ];
    const printed = lua(
      inputs
        .map(
          ([id, f, t]) =>
            `print(table.concat(requeueCopy(${JSON.stringify(id)}, {${f.map((v) => JSON.stringify(v)).join(',')}}, ${t}), '|'))`,
        )
        .join('\n'),
    );
    expect(printed).toEqual(inputs.map(([id, f, t]) => requeueCopy(id, b(f), t).map(String).join('|')));
    expect(printed[1]).toBe('a|1|reclaim.origin|1-1|reclaim.deliveries|4');
  });
});
