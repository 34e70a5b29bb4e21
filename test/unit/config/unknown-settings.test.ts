/**
 * Variables that look like settings and are none (issue 26): one warning each, naming the closest
 * real setting; the known names come from the settings schema, so none is hard-coded here.
 */
import { describe, expect, it } from 'vitest';
import { loadSettings, SETTING_NAMES } from '../../../src/config/settings';
import { closest, unknownSettingWarnings } from '../../../src/config/unknown-settings';
import { appSettingNames, loadAllBicep } from '../infra/bicep';

describe('unknown settings', () => {
  it('REDIS_PORT says where the port goes; a misspelling names the closest setting; one warning each', () => {
    expect(
      unknownSettingWarnings({
        REDIS_PORT: '7411',
        STREAM_NAMES: 'a',
        RECLAIM_SCHEDUEL: '* * * * * *',
        MAX_DELIVERY: '3',
        redis_host: 'x',
      }),
    ).toEqual([
      '`MAX_DELIVERY` is not a setting and is ignored: did you mean `MAX_DELIVERIES`?',
      '`RECLAIM_SCHEDUEL` is not a setting and is ignored: did you mean `RECLAIM_SCHEDULE`?',
      '`REDIS_PORT` is not a setting and is ignored: put the port in `REDIS_HOST` as host:port',
      '`STREAM_NAMES` is not a setting and is ignored: did you mean `STREAM_NAME`?',
      '`redis_host` is not a setting and is ignored: did you mean `REDIS_HOST`?',
    ]);
    expect(closest('DEADLETTER_STREAM')).toBe('DEAD_LETTER_STREAM');
    expect(closest('HASH_PREFIX')).toBe('HASH_KEY_PREFIX');
  });

  it('every real setting is known (from the schema), and loading settings still works beside a warning', () => {
    expect(unknownSettingWarnings(Object.fromEntries(SETTING_NAMES.map((n) => [n, 'x'])))).toEqual([]);
    const env = { REDIS_HOST: 'localhost:7411', REDIS_PORT: '7411', STREAM_NAME: 's', STREAM_CONSUMER_GROUP_NAME: 'g' };
    expect(unknownSettingWarnings(env)).toHaveLength(1);
    expect(loadSettings(env).redisPort).toBe(7411);
  });

  it('no warning for the Functions platform, the Azure SDKs, OpenTelemetry, the shell, or our own tooling', async () => {
    // What the Functions host and App Service set on a worker, what @azure/identity and the Azure
    // Monitor distro read, and the deployed app settings themselves (infra/).
    const platform = [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'AzureWebJobsStorage__accountName',
      'AzureWebJobsScriptRoot',
      'AzureFunctionsJobHost__logging__logLevel__default',
      'WEBSITE_SITE_NAME',
      'WEBSITE_HOSTNAME',
      'WEBSITE_INSTANCE_ID',
      'WEBSITE_RUN_FROM_PACKAGE',
      'APPSETTING_REDIS_HOST',
      'CONTAINER_NAME',
      'AZURE_FUNCTIONS_ENVIRONMENT',
      'AZURE_TENANT_ID',
      'AZURE_CLIENT_SECRET',
      'AZURE_FEDERATED_TOKEN_FILE',
      'AZURE_AUTHORITY_HOST',
      'IDENTITY_ENDPOINT',
      'IDENTITY_HEADER',
      'MSI_ENDPOINT',
      'MSI_SECRET',
      'APPLICATIONINSIGHTS_STATSBEAT_DISABLED',
      'APPLICATIONINSIGHTS_ENABLE_AGENT',
      'APPLICATIONINSIGHTS_INSTRUMENTATION_LOGGING_LEVEL',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_SERVICE_NAME',
      'NODE_OPTIONS',
      'PATH',
      'HOME',
      'TERM',
      'REDIS_SERVER_BIN',
      'REDISCLI_AUTH',
    ];
    const deployed = (await loadAllBicep()).flatMap((f) => appSettingNames(f.root));
    expect(deployed.length).toBeGreaterThan(0);
    expect(unknownSettingWarnings(Object.fromEntries([...platform, ...deployed].map((n) => [n, 'x'])))).toEqual([]);
  });
});
