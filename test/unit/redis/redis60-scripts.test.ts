/**
 * The 6.0 path of claim-entries.lua (the general path's claim), with a scripted server: the
 * scripts run in a real Lua 5.1 interpreter (lua5.1, installed by .ci/run) against
 * test/lua/redis60-stub.lua, which answers as 6.0 does: XCLAIM of a deleted entry still moves it
 * into the claimer's PEL and replies nil (false in Lua) for it. The script reads each entry
 * before claiming it (the retry policy needs its reclaim.deliveries), so it never claims a
 * deleted one: it acks it as an orphan. (Real 6.0 servers run the integration suite too:
 * REDIS_SERVER_BIN, docs/servers.md.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scriptText } from '../../../src/redis/scripts';

type LuaValue = string | number | LuaValue[];
type PelRow = [string, string, number, number];
interface StubResult {
  reply: unknown;
  pel: PelRow[];
  calls: (string | number)[][];
  added: [string, string[]][];
  hashes: Record<string, Record<string, string>> | [];
}

const dir = mkdtempSync(join(tmpdir(), 'redis60-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Lua literal; the test data is ASCII, so JSON string escapes are valid Lua. */
const lua = (v: LuaValue): string =>
  Array.isArray(v) ? `{${v.map(lua).join(',')}}` : typeof v === 'number' ? String(v) : JSON.stringify(v);

/** Group, consumer, min idle; then MAX_DELIVERIES 5, backoff off, claim. */
const head = (minIdle: string): string[] => ['g', 'reclaimer', minIdle, '5', '', 'claim'];

function run(
  script: string,
  scenario: { keys: string[]; argv: string[]; entries: [string, string[]][]; pel: PelRow[] },
): StubResult {
  const file = join(dir, `scenario-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(
    file,
    `return { script = ${lua(script)}, keys = ${lua(scenario.keys)}, argv = ${lua(scenario.argv)},\n` +
      `entries = ${lua(scenario.entries)}, pel = ${lua(scenario.pel)} }\n`,
  );
  return JSON.parse(execFileSync('lua5.1', ['test/lua/redis60-stub.lua', file], { encoding: 'utf8' })) as StubResult;
}

const IDLE = 600_000;
/** The claim script as Redis receives it (includes resolved), in a file for the interpreter. */
const claimScript = join(dir, 'claim-entries.lua');
writeFileSync(claimScript, scriptText('claimEntries'));
/** The IDs every XCLAIM the script sent named (after key, group, consumer, min idle; before its options). */
const claimedIds = (result: StubResult): (string | number)[] =>
  result.calls
    .filter((c) => c[0] === 'XCLAIM')
    .flatMap((c) => c.slice(5, c.includes('RETRYCOUNT') ? c.indexOf('RETRYCOUNT') : undefined));
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `${1000 + i}-0`);

describe('claim-entries.lua on Redis 6.0', () => {
  it('acks deleted entries as orphans without claiming them; claims live ones with their new count; skips fresh ones', () => {
    const [a, deleted, b, fresh, deleted2] = ids(5) as [string, string, string, string, string];
    const result = run(claimScript, {
      keys: ['s'],
      argv: [...head('60000'), a, deleted, b, fresh, deleted2],
      entries: [
        [a, ['f', 'a']],
        [b, ['f', 'b']],
        [fresh, ['f', 'fresh']],
      ],
      pel: [
        [a, 'crashed', IDLE, 1],
        [deleted, 'crashed', IDLE, 1],
        [b, 'crashed', IDLE, 3],
        [fresh, 'live', 10, 1],
        [deleted2, 'crashed', IDLE, 2],
      ],
    });

    expect(result.reply).toEqual([
      [
        [a, 2, ['f', 'a']],
        [b, 4, ['f', 'b']],
      ],
      [deleted, deleted2],
      [fresh],
      [],
      [],
    ]);
    expect(claimedIds(result)).toEqual([a, b]);
    expect(result.calls.filter((c) => c[0] === 'XACK')).toEqual([
      ['XACK', 's', 'g', deleted],
      ['XACK', 's', 'g', deleted2],
    ]);
    expect(result.pel).toEqual([
      [a, 'reclaimer', 0, 2],
      [b, 'reclaimer', 0, 4],
      [fresh, 'live', 10, 1],
    ]);
  });

  it('handles only deleted entries, and more IDs than one reply chunk', () => {
    const all = ids(1_200);
    const gone = new Set(all.filter((_, i) => i % 3 === 0));
    const result = run(claimScript, {
      keys: ['s'],
      argv: [...head('0'), ...all],
      entries: all.filter((id) => !gone.has(id)).map((id) => [id, ['f', id]]),
      pel: all.map((id) => [id, 'crashed', IDLE, 1]),
    });
    const [claimed, orphaned, skipped] = result.reply as [unknown[], string[], string[]];
    expect(claimedIds(result)).toHaveLength(800);
    expect(claimed).toHaveLength(800);
    expect(orphaned).toEqual([...gone]);
    expect(skipped).toEqual([]);
    expect(result.pel.every(([id, owner]) => !gone.has(id) && owner === 'reclaimer')).toBe(true);

    const onlyNils = run(claimScript, {
      keys: ['s'],
      argv: [...head('0'), 'x-1', 'x-2'],
      entries: [],
      pel: [
        ['x-1', 'c', IDLE, 1],
        ['x-2', 'c', IDLE, 1],
      ],
    });
    expect(onlyNils.reply).toEqual([[], ['x-1', 'x-2'], [], [], []]);
    expect(onlyNils.pel).toEqual([]);
  });
});
