/**
 * The settings tables of README.md and docs/design.md §3 against the code's schema
 * (src/config/settings-schema.ts): every setting the code reads has a row in both, no row names
 * a setting the code does not read, and each row's default says what DEFAULTS / REQUIRED say.
 * Derived from the schema, so a setting added to CHECKS fails here until both tables list it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, REQUIRED, SETTING_NAMES } from '../../../src/config/settings-schema';

interface Row {
  readonly name: string;
  readonly default: string;
}

/** The rows of the markdown table whose header is `| setting | default | meaning |`. */
function settingsTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^\|\s*setting\s*\|\s*default\s*\|/.test(l));
  if (start < 0) throw new Error('no `| setting | default | meaning |` table');
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([A-Z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!name) throw new Error(`a row without a \`SETTING\` name: ${line}`);
    rows.push({ name, default: cells[2] ?? '' });
  }
  return rows;
}

/** What a row's default must say for a setting, from the schema; undefined: computed per target. */
function expectedDefault(name: string): RegExp | undefined {
  if ((REQUIRED as readonly string[]).includes(name)) return /^required\b/;
  if (!(name in DEFAULTS)) return undefined;
  const value = DEFAULTS[name as keyof typeof DEFAULTS];
  if (value === '') return /^empty\b/;
  return new RegExp(`^\`${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`(\\s|$)`);
}

const docs = {
  'README.md': readFileSync('README.md', 'utf8'),
  'docs/design.md': readFileSync('docs/design.md', 'utf8'),
};

describe.each(Object.entries(docs))('the settings table of %s', (_file, markdown) => {
  const rows = settingsTable(markdown);

  it('lists every setting the code reads, once, and nothing else', () => {
    const names = rows.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...SETTING_NAMES].sort());
  });

  it.each(SETTING_NAMES.map((n) => [n]))('gives %s the default the schema has', (name) => {
    const row = rows.find((r) => r.name === name);
    expect(row, `${name} has no row`).toBeDefined();
    const expected = expectedDefault(name);
    if (expected) expect(row?.default).toMatch(expected);
    // A computed default (REDIS_TLS, DEAD_LETTER_STREAM, HASH_KEY_PREFIX) must still say what it is.
    else expect(row?.default).toMatch(/^`/);
  });
});

describe('settingsTable', () => {
  it('reads names and defaults, and refuses a row without a setting name', () => {
    const table = '| setting | default | meaning |\n|---|---|---|\n| `A_B` | `5` | x |\n| `C` | empty | y |\n\nafter';
    expect(settingsTable(table)).toEqual([
      { name: 'A_B', default: '`5`' },
      { name: 'C', default: 'empty' },
    ]);
    expect(() => settingsTable('| setting | default | meaning |\n|---|---|---|\n| A | 1 | x |')).toThrow(/without/);
  });
});
