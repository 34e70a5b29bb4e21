import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bicepFiles, parseBicep, ROOT, syntaxProblems } from './bicep';

const files = bicepFiles();

describe('infra/*.bicep syntax (tree-sitter Bicep grammar)', () => {
  it('finds the templates: main.bicep and every module under infra/app', () => {
    const modules = ['function', 'redis', 'monitoring', 'storage', 'rbac', 'network', 'identity', 'alerts', 'keyvault-access'];
    for (const f of ['main', ...modules.map((m) => `app/${m}`)]) {
      expect(files).toContain(path.join('infra', `${f}.bicep`));
    }
  });

  it.each(files)('%s parses with no ERROR or MISSING node', async (file) => {
    const tree = await parseBicep(readFileSync(path.join(ROOT, file), 'utf8'));
    expect(tree.rootNode.type).toBe('infrastructure');
    expect(syntaxProblems(tree.rootNode)).toEqual([]);
  });

  // The check above is only worth something if the grammar rejects broken Bicep.
  it.each([
    ['an unclosed object', "resource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n"],
    ['a missing value', "param p string =\nvar v = 1"],
    ['an unbalanced call', "var n = guid(subscription().id, 'x'\noutput o string = n"],
    ['a stray token', "output o string = 'a' 'b' )"],
  ])('reports %s', async (_what, source) => {
    const tree = await parseBicep(source);
    expect(syntaxProblems(tree.rootNode).length).toBeGreaterThan(0);
  });

  it('accepts a small valid template (the broken ones above fail for their defect only)', async () => {
    const tree = await parseBicep("param p string = 'x'\nvar n = guid(subscription().id, p)\noutput o string = n\n");
    expect(syntaxProblems(tree.rootNode)).toEqual([]);
  });
});
