/**
 * What the Bicep compiler cannot see but a deployment trips over (issue 14): properties Flex
 * Consumption rejects, a module scope that is empty in some mode, the function app starting before
 * the role assignments it needs, and alert rules that query telemetry the app does not send.
 * `npm run check:infra` compiles and lints with the real CLI; these read the syntax tree.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BicepFile, calls, descendants, loadBicep, modules, parameters, parseBicep, propertyKey, propertyPath, resourcesOfType, ROOT, stringValue,
} from './bicep';

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** Flex Consumption sites (they have functionAppConfig) that set a property the platform rejects. */
function rejectedFlexProperties(f: BicepFile): string[] {
  return resourcesOfType(f.root, 'Microsoft.Web/sites')
    .filter((r) => !r.existing && propertyPath(r.body, 'properties', 'functionAppConfig') !== undefined)
    .filter((r) => propertyPath(r.body, 'properties', 'siteConfig', 'ftpsState') !== undefined)
    .map((r) => `${f.file}: ${r.name}.properties.siteConfig.ftpsState (ARM error 51021 on Flex Consumption)`);
}

/** `resourceGroup(p)` scopes whose argument is a bare parameter that may be empty (default ''). */
function scopesThatMayBeEmpty(f: BicepFile): string[] {
  const mayBeEmpty = new Set(parameters(f.root).filter((p) => stringValue(p.defaultValue) === '').map((p) => p.name));
  return modules(f.root).flatMap((m) => {
    const scope = propertyPath(m.body, 'scope');
    return (scope ? calls(scope, 'resourceGroup') : [])
      .map((c) => c.childForFieldName('arguments')?.namedChildren.filter((a) => a?.type !== 'comment') ?? [])
      .filter((args) => args.length === 1 && args[0]?.type === 'identifier' && mayBeEmpty.has(args[0].text))
      .map((args) => `${f.file}: module ${m.name} scope resourceGroup(${args[0]?.text})`);
  });
}

/** The string literals (single- or multi-line) of every `query:` property. */
function queries(f: BicepFile): string[] {
  return descendants(f.root, 'object_property')
    .filter((p) => propertyKey(p) === 'query')
    .map((p) => p.namedChildren.at(-1)?.text ?? '');
}

describe('infra/ deploys where the compiler cannot tell', () => {
  let main: BicepFile;
  let all: BicepFile[];
  beforeAll(async () => {
    main = await loadBicep('infra/main.bicep');
    all = await Promise.all(['infra/main.bicep', 'infra/app/function.bicep', 'infra/app/alerts.bicep'].map(loadBicep));
  });

  it('Flex Consumption sites set no property the platform rejects', () => {
    expect(resourcesOfType(all[1]!.root, 'Microsoft.Web/sites')).toHaveLength(1);
    expect(all.flatMap(rejectedFlexProperties)).toEqual([]);
  });

  it('every module scope is a valid resource group in every mode (never resourceGroup(\'\'))', () => {
    expect(modules(main.root).filter((m) => propertyPath(m.body, 'scope')).length).toBeGreaterThan(5);
    expect(scopesThatMayBeEmpty(main)).toEqual([]);
  });

  it('the function app waits for the storage roles and the Key Vault role it resolves references with', () => {
    const fn = modules(main.root).find((m) => m.name === 'functionApp');
    const dependsOn = propertyPath(fn?.body, 'dependsOn')?.namedChildren.map((n) => n?.text);
    expect(dependsOn).toEqual(expect.arrayContaining(['rbac', 'keyVaultAccess']));
  });

  it.each([
    ['ftpsState on a Flex Consumption site', "resource s 'Microsoft.Web/sites@2024-04-01' = {\n  properties: { functionAppConfig: {}, siteConfig: { ftpsState: 'Disabled' } }\n}\n", rejectedFlexProperties],
    ['a scope from a parameter that defaults to empty', "param kv string = ''\nmodule m 'm.bicep' = if (!empty(kv)) {\n  name: 'm'\n  scope: resourceGroup(kv)\n}\n", scopesThatMayBeEmpty],
  ])('flags %s', async (_what, source, rule) => {
    const tree = await parseBicep(source);
    expect(rule({ file: 'snippet.bicep', root: tree.rootNode })).toHaveLength(1);
  });

  it('accepts a scope that falls back to a non-empty name', async () => {
    const tree = await parseBicep("param kv string = ''\nmodule m 'm.bicep' = if (!empty(kv)) {\n  name: 'm'\n  scope: resourceGroup(!empty(kv) ? kv : 'rg')\n}\n");
    expect(scopesThatMayBeEmpty({ file: 'snippet.bicep', root: tree.rootNode })).toEqual([]);
  });
});

describe('alerts: on what the app sends, thresholds as documented parameters', () => {
  let main: BicepFile;
  let alerts: BicepFile;
  beforeAll(async () => {
    main = await loadBicep('infra/main.bicep');
    alerts = await loadBicep('infra/app/alerts.bicep');
  });

  it('each metric a rule queries is an instrument of src/telemetry/metrics.ts; the request is the registered timer', () => {
    const text = queries(alerts).join('\n');
    const metrics = [...text.matchAll(/customMetrics\s*\|\s*where name == "([^"]+)"/g)].map((m) => m[1]);
    expect(metrics).toEqual(['reclaimer.group.oldest_pending_idle', 'reclaimer.dead_letter.length']);
    const instruments = read('src/telemetry/metrics.ts');
    for (const name of metrics) expect(instruments, name).toContain(`'${name}'`);
    // Dimensions come from the attributes every point carries (docs/observability.md).
    expect(text).toContain('customDimensions["messaging.destination.name"]');
    expect(text).toContain('customDimensions["messaging.consumer.group.name"]');
    const requests = [...text.matchAll(/requests\s*\|\s*where name == "([^"]+)"/g)].map((m) => m[1]);
    expect(requests).toEqual(['reclaim']);
    expect(read('functions/index.ts')).toMatch(/app\.timer\('reclaim'/);
  });

  it('every alert* parameter of main.bicep reaches the alerts module and is documented with its default', () => {
    const params = parameters(main.root).filter((p) => p.name.startsWith('alert'));
    expect(params.map((p) => p.name).sort()).toEqual(['alertDeadLettersAdded', 'alertEmail', 'alertFailedRuns', 'alertStuckIdleSec']);
    const passed = propertyPath(modules(main.root).find((m) => m.name === 'alerts')?.body, 'params');
    const values = (passed?.namedChildren ?? []).map((p) => p?.namedChildren.at(-1)?.text);
    const deploy = read('docs/deploy.md');
    const observability = read('docs/observability.md');
    for (const p of params) {
      expect(values, `${p.name} passed to the alerts module`).toContain(p.name);
      // On one line of a table: the name, then its default (a number in backticks, or "empty").
      const shown = stringValue(p.defaultValue) === '' ? 'empty' : `\`${p.defaultValue?.text}\``;
      expect(deploy, `docs/deploy.md documents ${p.name} = ${shown}`).toMatch(new RegExp(`\`${p.name}\`[^\\n]*${shown}`));
      expect(observability, `docs/observability.md names ${p.name}`).toContain(`\`${p.name}\``);
    }
  });

  it('the action group exists only when an email is given, and every rule notifies it then', () => {
    const group = resourcesOfType(alerts.root, 'Microsoft.Insights/actionGroups')[0];
    expect(group?.node.text).toMatch(/= if \(!empty\(alertEmail\)\)/);
    const rules = resourcesOfType(alerts.root, 'Microsoft.Insights/scheduledQueryRules')[0];
    expect(propertyPath(rules?.body, 'properties', 'actions', 'actionGroups')?.text).toBe('empty(alertEmail) ? [] : [actionGroup.id]');
  });
});
