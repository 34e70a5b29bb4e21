import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../src/config/settings';
import { telemetrySettings } from '../../../src/config/telemetry-settings';

describe('telemetry settings', () => {
  it('reads the connection string and the Entra client ID from the authentication string or AZURE_CLIENT_ID', () => {
    expect(telemetrySettings({})).toEqual({ connectionString: undefined, entraClientId: undefined });
    expect(
      telemetrySettings({
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=k',
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=abc;Authorization=AAD',
      }),
    ).toEqual({ connectionString: 'InstrumentationKey=k', entraClientId: 'abc' });
    expect(
      telemetrySettings({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD', AZURE_CLIENT_ID: 'uami' })
        .entraClientId,
    ).toBe('uami');
    expect(telemetrySettings({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' }).entraClientId).toBe(
      '',
    );
  });

  it('validates the authentication string with the other settings', () => {
    const base = { REDIS_HOST: 'h', STREAM_NAME: 's', STREAM_CONSUMER_GROUP_NAME: 'g' };
    expect(
      loadSettings({ ...base, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=x' })
        .appInsightsAuthenticationString,
    ).toBe('Authorization=AAD;ClientId=x');
    expect(() => loadSettings({ ...base, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key' })).toThrow(
      /APPLICATIONINSIGHTS_AUTHENTICATION_STRING/,
    );
  });
});
