/**
 * The `@default` tags of the `Settings` type (what a library user sees in the shipped
 * declarations) against DEFAULTS in src/config/settings-schema.ts: each property whose comment
 * says `From \`SETTING\`` and whose setting has a non-empty default carries a `@default` that says
 * that value (in the property's unit: `…Ms` properties hold milliseconds of a `…_SEC` setting).
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../src/config/settings-schema';

const FILE = 'src/config/settings.ts';

interface Documented {
  readonly property: string;
  readonly setting: string | undefined;
  readonly defaultTag: string | undefined;
}

function settingsProperties(): Documented[] {
  const source = ts.createSourceFile(FILE, readFileSync(FILE, 'utf8'), ts.ScriptTarget.ES2022, true);
  const settings = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Settings',
  );
  if (!settings) throw new Error(`no interface Settings in ${FILE}`);
  return settings.members.filter(ts.isPropertySignature).map((member) => {
    const docs = ts
      .getJSDocCommentsAndTags(member)
      .map((d) => d.getText())
      .join('\n');
    const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
    return {
      property: member.name.getText(),
      setting: /From `([A-Z0-9_]+)`/.exec(docs)?.[1],
      defaultTag: tag ? (ts.getTextOfJSDocComment(tag.comment) ?? '').trim() : undefined,
    };
  });
}

/** How a property documents the setting's raw default. */
function expectedTag(property: string, raw: string): string {
  if (/^\d+(\.\d+)?$/.test(raw)) return String(property.endsWith('Ms') ? Number(raw) * 1000 : Number(raw));
  if (raw === 'true' || raw === 'false') return raw;
  return `'${raw}'`;
}

const properties = settingsProperties();
const withDefault = properties.filter(
  (p) => p.setting !== undefined && p.setting in DEFAULTS && DEFAULTS[p.setting as keyof typeof DEFAULTS] !== '',
);

describe('Settings @default tags', () => {
  it('finds the documented properties (the parse works)', () => {
    expect(withDefault.map((p) => p.property)).toEqual(
      expect.arrayContaining(['consumerName', 'minIdleMs', 'batchSize', 'dryRun', 'strategy']),
    );
  });

  it.each(withDefault.map((p) => [p.property, p]))('%s says its setting’s default', (_name, p) => {
    const raw = DEFAULTS[p.setting as keyof typeof DEFAULTS];
    expect(p.defaultTag, `${p.property} (${p.setting}) has no @default`).toBeDefined();
    // A value that cannot sit in a comment (`*/` in the schedule) may name its constant instead.
    if (p.defaultTag?.includes(`DEFAULTS.${p.setting}`)) return;
    expect(p.defaultTag?.split(/\s/)[0]).toBe(expectedTag(p.property, raw));
  });
});
