import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, loadSettings, SETTING_NAMES } from '../../../src/config/settings';
import {
  appSettingNames, type BicepFile, INFRA, loadAllBicep, loadBicep, parameters, parseBicep, propertyPath, stringValue, variable,
} from './bicep';

/**
 * Settings only the Functions platform reads (identity-based host storage). The app reads
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING too (Entra telemetry ingestion), so it is in SETTING_NAMES.
 */
const PLATFORM_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
];

/** Which main.bicep parameter carries each reclaimer setting (docs/design.md §3). */
const PARAMETER_FOR: Record<string, string> = {
  STREAM_NAME: 'streamName',
  STREAM_PATTERN: 'streamPattern',
  STREAM_CONSUMER_GROUP_NAME: 'consumerGroupName',
  MONITORING_CONSUMER_NAME: 'monitoringConsumerName',
  MIN_IDLE_TIME_SEC: 'minIdleTimeSec',
  MAX_DELIVERIES: 'maxDeliveries',
  DEAD_LETTER_STREAM: 'deadLetterStream',
  HASH_KEY_PREFIX: 'hashKeyPrefix',
  HASH_KEY_FIELD: 'hashKeyField',
  BATCH_SIZE: 'batchSize',
  CONCURRENCY: 'concurrency',
  MAX_RUN_SEC: 'maxRunSec',
  RECLAIM_SCHEDULE: 'reclaimSchedule',
  DEREGISTER_IDLE_SEC: 'deregisterIdleSec',
  DRY_RUN: 'dryRun',
  RECLAIM_STRATEGY: 'reclaimStrategy',
  REDIS_USERNAME: 'redisUsername',
  REDIS_TLS_CA_FILE: 'redisTlsCaFile',
};

/** Names missing from and extra to the expected set. */
function compareSets(written: readonly string[], expected: readonly string[]): { missing: string[]; extra: string[] } {
  return {
    missing: expected.filter((n) => !written.includes(n)).sort(),
    extra: written.filter((n) => !expected.includes(n)).sort(),
  };
}

/** main.bicep parameters that have neither a default nor a value in main.parameters.json. */
function unsetParameters(main: BicepFile, values: Record<string, unknown>): string[] {
  return parameters(main.root).filter((p) => !p.hasDefault && !(p.name in values)).map((p) => p.name);
}

const readParameterValues = (): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(INFRA, 'main.parameters.json'), 'utf8')).parameters;

describe('app settings: what the code reads = what the Bicep writes', () => {
  let all: BicepFile[];
  beforeAll(async () => {
    all = await loadAllBicep();
  });

  it('the function app writes each setting once: SETTING_NAMES plus the platform list, nothing else', () => {
    const written = all.flatMap((f) => appSettingNames(f.root));
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((n, i) => written.indexOf(n) !== i)).toEqual([]);
    expect(compareSets(written, [...SETTING_NAMES, ...PLATFORM_SETTINGS])).toEqual({ missing: [], extra: [] });
    expect(PLATFORM_SETTINGS.filter((n) => (SETTING_NAMES as readonly string[]).includes(n))).toEqual([]);
  });

  it('the comparison catches a missing and an unread setting', async () => {
    const tree = await parseBicep(
      "resource s 'Microsoft.Web/sites@2024-04-01' = {\n  properties: { siteConfig: { appSettings: [\n" +
        "    { name: 'REDIS_HOST', value: h }\n    { name: 'REDIS_HOSTNAME', value: h }\n  ] } }\n}\n",
    );
    const written = appSettingNames(tree.rootNode);
    expect(written).toEqual(['REDIS_HOST', 'REDIS_HOSTNAME']);
    expect(compareSets(written, ['REDIS_HOST', 'STREAM_NAME'])).toEqual({ missing: ['STREAM_NAME'], extra: ['REDIS_HOSTNAME'] });
  });

  it('every reclaimer setting is a main.bicep parameter whose default is the product default', async () => {
    const main = await loadBicep('infra/main.bicep');
    const params = new Map(parameters(main.root).map((p) => [p.name, p]));
    for (const [setting, name] of Object.entries(PARAMETER_FOR)) {
      const param = params.get(name);
      expect(param, `parameter ${name} for ${setting}`).toBeDefined();
      const fallback = (DEFAULTS as Record<string, string>)[setting];
      if (fallback === undefined) continue; // required, or derived from STREAM_NAME: checked below
      const literal = param?.defaultValue;
      const shown = literal?.type === 'string' ? stringValue(literal) : literal?.text;
      expect(shown, `default of ${name}`).toBe(fallback);
    }
    // Cluster-safe defaults: the stream carries a hash tag; the derived keys default to empty,
    // so the code derives them from STREAM_NAME (same tag).
    expect(stringValue(params.get('streamName')?.defaultValue)).toMatch(/^\{[^}]+\}/);
    expect(stringValue(params.get('deadLetterStream')?.defaultValue)).toBe('');
    expect(stringValue(params.get('hashKeyPrefix')?.defaultValue)).toBe('');
  });

  it('redisClusteringPolicy (OSSCluster by default) is the database\'s clustering policy and sets REDIS_CLUSTER: proxy for EnterpriseCluster', async () => {
    const main = await loadBicep('infra/main.bicep');
    const redis = await loadBicep('infra/app/redis.bicep');
    const param = parameters(main.root).find((p) => p.name === 'redisClusteringPolicy');
    expect(stringValue(param?.defaultValue)).toBe('OSSCluster');
    const source = readFileSync(path.join(INFRA, 'main.bicep'), 'utf8');
    expect(source).toMatch(/@allowed\(\['OSSCluster', 'EnterpriseCluster'\]\)\n(@description\(.*\)\n)?param redisClusteringPolicy string/);
    const module = main.root.descendantsOfType('module_declaration').find((m) => m?.namedChildren[0]?.text === 'redis');
    // A conditional module: its body is the object inside `if (…) { … }`.
    expect(propertyPath(module?.descendantsOfType('object')[0] ?? undefined, 'params', 'clusteringPolicy')?.text).toBe('redisClusteringPolicy');
    const database = redis.root.descendantsOfType('resource_declaration').find((r) => r?.namedChildren[0]?.text === 'database');
    expect(propertyPath(database?.namedChildren.at(-1) ?? undefined, 'properties', 'clusteringPolicy')?.text).toBe('clusteringPolicy');
    // The app setting the function writes (REDIS_CLUSTER = redis.cluster) takes each policy's value, which the settings accept.
    const cluster = propertyPath(variable(main.root, 'redisConnection'), 'cluster')?.text ?? '';
    expect(cluster).toContain("redisClusteringPolicy == 'EnterpriseCluster' ? 'proxy' : 'true'");
    const base = { REDIS_HOST: 'h', STREAM_NAME: 's', STREAM_CONSUMER_GROUP_NAME: 'g' };
    expect(loadSettings({ ...base, REDIS_CLUSTER: 'proxy' })).toMatchObject({ redisCluster: false, redisProxy: true });
    expect(loadSettings({ ...base, REDIS_CLUSTER: 'true' })).toMatchObject({ redisCluster: true, redisProxy: false });
  });

  it('every main.bicep parameter has a default or a value in main.parameters.json, and no value is stray', async () => {
    const main = await loadBicep('infra/main.bicep');
    const values = readParameterValues();
    expect(unsetParameters(main, values)).toEqual([]);
    const declared = parameters(main.root).map((p) => p.name);
    expect(Object.keys(values).filter((k) => !declared.includes(k))).toEqual([]);
    expect(values).toMatchObject({ environmentName: { value: '${AZURE_ENV_NAME}' }, location: { value: '${AZURE_LOCATION}' } });
  });

  it('the parameter check catches a parameter with no value anywhere', async () => {
    const tree = await parseBicep("param a string\nparam b string = 'x'\nparam c int\n");
    expect(unsetParameters({ file: 'snippet', root: tree.rootNode }, { a: { value: '1' } })).toEqual(['c']);
  });

  it('azd wiring: subscription scope, service tag matching azure.yaml, the packaged zip deployed as it is', async () => {
    const main = await loadBicep('infra/main.bicep');
    const scope = main.root.namedChildren.find((n) => n?.type === 'target_scope_assignment');
    expect(stringValue(scope?.namedChildren[0] ?? undefined)).toBe('subscription');
    const yaml = readFileSync(path.join(INFRA, '..', 'azure.yaml'), 'utf8');
    expect(yaml).toMatch(/^services:\n {2}reclaimer:\n(?: {4}.*\n)*? {4}host: function$/m);
    const fn = main.root.descendantsOfType('module_declaration').find((m) => m?.namedChildren[0]?.text === 'functionApp');
    const tags = propertyPath(fn?.namedChildren.at(-1) ?? undefined, 'params', 'tags');
    expect(tags?.text).toContain("'azd-service-name': 'reclaimer'");
    const pkg = JSON.parse(readFileSync(path.join(INFRA, '..', 'package.json'), 'utf8'));
    expect(pkg.main).toBe('dist/functions/index.js');
    expect(pkg.scripts.package).toBe('node scripts/package.mjs');
    // The service block: azd uploads the zip `npm run package` wrote (a `dist` ending in .zip is not
    // re-zipped), runs no npm command itself (custom), and asks for no build on Azure.
    const service = /^ {2}reclaimer:\n((?: {4}.*\n)+)/m.exec(yaml)?.[1] ?? '';
    for (const line of ['language: custom', 'dist: dist/deploy.zip', 'remoteBuild: false']) expect(service).toContain(`    ${line}\n`);
    expect(service.match(/run: .*npm run package/g)).toHaveLength(2); // posix and windows prepackage hooks
  });
});
