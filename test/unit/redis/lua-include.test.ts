/**
 * The scripts' include directive (src/redis/lua-include.ts), and every script as Redis receives
 * it: it compiles in a real Lua 5.1 (luac5.1, installed with lua5.1 by .ci/run), and every global
 * it reads is one Redis's script environment provides, so a missing include (a lib function the
 * script calls but never included) fails here rather than mid-script on a server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LuaIncludeError, resolveIncludes } from '../../../src/redis/lua-include';
import { COMMIT_SCRIPTS, LUA_LIBS, SCRIPT_SOURCES, scriptText } from '../../../src/redis/scripts';

describe('resolveIncludes', () => {
  const libs = {
    a: 'local A = 1',
    b: '--- @include "a"\nlocal B = A + 1',
    c: '--- @include "d"',
    d: '--- @include "c"',
  };

  it('puts each lib in place of its directive, a lib included twice only once, nested ones first', () => {
    const text = resolveIncludes('--- @include "b"\n--- @include "a"\nreturn B', libs, 'main');
    expect(text).toBe('local A = 1\nlocal B = A + 1\n-- (lib/a already included above)\nreturn B');
  });

  it('leaves lines that only look like a directive alone', () => {
    const source = '-- @include "a"\nlocal s = \'--- @include "a"\'';
    expect(resolveIncludes(source, libs, 'main')).toBe(source);
  });

  it('names an unknown lib, who included it, and the libs there are', () => {
    expect(() => resolveIncludes('--- @include "nope"', libs, 'main')).toThrow(
      new LuaIncludeError('main includes unknown Lua lib "nope" (known: a, b, c, d)'),
    );
  });

  it('refuses a cycle, naming it', () => {
    expect(() => resolveIncludes('--- @include "c"', libs, 'main')).toThrow('Lua include cycle in main: c -> d -> c');
  });
});

/** What Redis's Lua environment offers a script (a script may not create globals). */
const REDIS_GLOBALS = new Set([
  'redis',
  'KEYS',
  'ARGV',
  'unpack',
  'type',
  'tonumber',
  'tostring',
  'ipairs',
  'pairs',
  'next',
  'string',
  'math',
  'table',
  'select',
  'error',
  'pcall',
  'cjson',
  'bit',
]);

describe('every script as Redis receives it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lua-include-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(SCRIPT_SOURCES) as (keyof typeof SCRIPT_SOURCES)[])(
    '%s compiles, with every include resolved and no unknown global',
    (name) => {
      const text = scriptText(name);
      expect(text).not.toMatch(/^--- @include/m);
      const file = join(dir, `${name}.lua`);
      writeFileSync(file, text);
      const listing = execFileSync('luac5.1', ['-p', '-l', file], { encoding: 'utf8' });
      const globals = new Set([...listing.matchAll(/[GS]ETGLOBAL\s.*;\s*(\S+)/g)].map((m) => m[1]));
      expect([...globals].filter((g) => !REDIS_GLOBALS.has(g as string))).toEqual([]);
    },
  );

  it('the commit scripts sent inside a MULTI are the same resolved texts', () => {
    expect(COMMIT_SCRIPTS.deadLetterCommit).toBe(scriptText('deadLetterCommit'));
    expect(Object.keys(LUA_LIBS).sort()).toEqual(['fence', 'guards', 'id-window', 'record', 'retry', 'slices']);
  });
});
