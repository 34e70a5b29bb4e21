import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BicepFile, calls, loadAllBicep, outputs, parseBicep, propertyPath, resourcesOfType, stringValue, variable,
} from './bicep';

type Rule = (f: BicepFile) => string[];
const literal = (n: { type: string; text: string } | undefined): string | undefined =>
  n === undefined ? undefined : n.type === 'string' ? stringValue(n as never) : n.text;

/** Each new resource of `type` must have these literal values at these property paths. */
const requireValues =
  (type: string, expected: Record<string, string>): Rule =>
  (f) =>
    resourcesOfType(f.root, type)
      .filter((r) => !r.existing)
      .flatMap((r) =>
        Object.entries(expected)
          .filter(([p, want]) => literal(propertyPath(r.body, ...p.split('.'))) !== want)
          .map(([p, want]) => `${f.file}: ${r.name}.${p} must be ${want}`),
      );

const RULES: Record<string, Rule> = {
  'storage: no shared keys, HTTPS only, TLS 1.2': requireValues('Microsoft.Storage/storageAccounts', {
    'properties.allowSharedKeyAccess': 'false',
    'properties.allowBlobPublicAccess': 'false',
    'properties.supportsHttpsTrafficOnly': 'true',
    'properties.minimumTlsVersion': 'TLS1_2',
  }),
  'managed redis: TLS 1.2 minimum': requireValues('Microsoft.Cache/redisEnterprise', { 'properties.minimumTlsVersion': '1.2' }),
  'managed redis: TLS-only protocol, access keys disabled': requireValues(
    'Microsoft.Cache/redisEnterprise/databases',
    {
      'properties.clientProtocol': 'Encrypted',
      'properties.accessKeysAuthentication': 'Disabled',
    },
  ),
  'function app: HTTPS only, TLS 1.2': requireValues('Microsoft.Web/sites', {
    'properties.httpsOnly': 'true',
    'properties.siteConfig.minTlsVersion': '1.2',
  }),
  'no secret in any output': (f) =>
    outputs(f.root)
      .filter((o) => /password|secret|key|connectionstring/i.test(`${o.name} ${o.value?.text ?? ''}`))
      .map((o) => `${f.file}: output ${o.name}`),
  'no access keys read anywhere (listKeys & co.)': (f) =>
    ['listKeys', 'listConnectionStrings', 'listCredentials'].flatMap((fn) =>
      calls(f.root, fn).map((c) => `${f.file}: ${c.text.slice(0, 40)}`),
    ),
  'role assignment names are guid(...)': (f) =>
    resourcesOfType(f.root, 'Microsoft.Authorization/roleAssignments')
      .filter((r) => {
        const name = propertyPath(r.body, 'name');
        return name?.type !== 'call_expression' || name.childForFieldName('function')?.text !== 'guid';
      })
      .map((r) => `${f.file}: ${r.name}`),
  'redis access policy assignment names come from guid(...)': (f) =>
    resourcesOfType(f.root, 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments')
      .filter((r) => {
        const name = propertyPath(r.body, 'name');
        return !name || calls(name, 'guid').length === 0 || literal(propertyPath(r.body, 'properties', 'accessPolicyName')) !== 'default';
      })
      .map((r) => `${f.file}: ${r.name}`),
};

describe('security posture of infra/', () => {
  let files: BicepFile[];
  beforeAll(async () => {
    files = await loadAllBicep();
  });
  const count = (type: string): number => files.flatMap((f) => resourcesOfType(f.root, type).filter((r) => !r.existing)).length;

  it.each(Object.keys(RULES))('%s', (rule) => {
    expect(files.flatMap((f) => RULES[rule]!(f))).toEqual([]);
  });

  it('the rules have something to check: each guarded resource exists', () => {
    expect(count('Microsoft.Storage/storageAccounts')).toBe(1);
    expect(count('Microsoft.Cache/redisEnterprise')).toBe(1);
    expect(count('Microsoft.Cache/redisEnterprise/databases')).toBe(1);
    expect(count('Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments')).toBe(1);
    expect(count('Microsoft.Web/sites')).toBe(1);
    expect(count('Microsoft.Authorization/roleAssignments')).toBeGreaterThanOrEqual(3);
    expect(files.flatMap((f) => outputs(f.root)).length).toBeGreaterThan(5);
  });

  it('the Entra path: REDIS_AUTH=entra, TLS forced and no password when Redis is managed', () => {
    const main = files.find((f) => f.file.endsWith('main.bicep'))!;
    const conn = variable(main.root, 'redisConnection');
    const branch = (key: string, side: 'consequence' | 'alternative') => {
      const t = propertyPath(conn, key);
      expect(t?.type, key).toBe('ternary_expression');
      const cond = t!.childForFieldName('condition')!;
      // `managedRedis ? …` or `managedRedis || … ? …`: the managed branch is the consequence.
      expect(cond.text.startsWith('managedRedis')).toBe(true);
      return literal(t!.childForFieldName(side) ?? undefined);
    };
    expect(branch('auth', 'consequence')).toBe('entra');
    expect(branch('password', 'consequence')).toBe('');
    expect(branch('tls', 'consequence')).toBe('true');
    // The clustering policy picks the protocol (test/unit/infra/settings.test.ts checks its wiring).
    expect(propertyPath(conn, 'cluster')?.childForFieldName('consequence')?.text).toBe("(redisClusteringPolicy == 'EnterpriseCluster' ? 'proxy' : 'true')");
  });

  it('telemetry: local auth off, identity-based ingestion', () => {
    const text = files.map((f) => f.root.text).join('\n');
    expect(text).toMatch(/disableLocalAuth: true/i);
    expect(text).toContain("'ClientId=${identityClientId};Authorization=AAD'");
  });

  it.each([
    ['shared keys on', "resource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'st'\n  properties: {\n    allowSharedKeyAccess: true\n    allowBlobPublicAccess: false\n    supportsHttpsTrafficOnly: true\n    minimumTlsVersion: 'TLS1_2'\n  }\n}\n", 'storage: no shared keys, HTTPS only, TLS 1.2'],
    ['TLS 1.0 storage', "resource s 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  properties: { allowSharedKeyAccess: false, allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_0' }\n}\n", 'storage: no shared keys, HTTPS only, TLS 1.2'],
    ['access keys enabled', "resource d 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {\n  properties: { clientProtocol: 'Encrypted', accessKeysAuthentication: 'Enabled', clusteringPolicy: 'OSSCluster' }\n}\n", 'managed redis: TLS-only protocol, access keys disabled'],
    ['plaintext redis', "resource d 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {\n  properties: { clientProtocol: 'Plaintext', accessKeysAuthentication: 'Disabled', clusteringPolicy: 'OSSCluster' }\n}\n", 'managed redis: TLS-only protocol, access keys disabled'],
    ['a key in an output', "output primaryKey string = db.listKeys().primaryKey\n", 'no secret in any output'],
    ['a connection string output', "output AI string = appi.properties.ConnectionString\n", 'no secret in any output'],
    ['listKeys in a setting', "var s = { v: st.listKeys().keys[0].value }\n", 'no access keys read anywhere (listKeys & co.)'],
    ['a fixed role assignment name', "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n  name: 'fixed'\n  properties: {}\n}\n", 'role assignment names are guid(...)'],
    ['a looped fixed name', "resource ra 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for r in rs: {\n  name: '${r}-x'\n}]\n", 'role assignment names are guid(...)'],
  ])('flags %s', async (_what, source, rule) => {
    const tree = await parseBicep(source);
    expect(RULES[rule]!({ file: 'snippet.bicep', root: tree.rootNode }).length).toBeGreaterThan(0);
  });
});
