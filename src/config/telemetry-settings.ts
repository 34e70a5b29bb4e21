/**
 * Telemetry settings alone, read before the function app (and its full settings) load: telemetry
 * must start first, so it cannot wait for, or fail with, the rest of the settings.
 */
import type { Env } from './settings';
import type { SettingName } from './settings-schema';

/** What the function app's telemetry setup needs, read before the app (and its settings) load. */
export interface TelemetrySettings {
  /** Azure Monitor connection string; export is off when undefined. */
  connectionString: string | undefined;
  /** Entra ID (managed identity) ingestion: the identity's client ID, or '' for a system-assigned one. */
  entraClientId: string | undefined;
}

/**
 * Telemetry settings alone: telemetry starts before anything else, so it cannot wait for (or fail
 * with) the full settings; a bad authentication string leaves Entra ingestion off (the app's
 * settings check then reports it).
 */
export function telemetrySettings(env: Env = process.env): TelemetrySettings {
  const value = (key: SettingName): string => env[key]?.trim() ?? '';
  const auth = value('APPLICATIONINSIGHTS_AUTHENTICATION_STRING');
  const parts = new Map(
    auth.split(';').map((p) => [p.split('=')[0]?.trim().toLowerCase() ?? '', p.slice(p.indexOf('=') + 1).trim()]),
  );
  const entra = parts.get('authorization')?.toUpperCase() === 'AAD';
  return {
    connectionString: value('APPLICATIONINSIGHTS_CONNECTION_STRING') || undefined,
    entraClientId: entra ? parts.get('clientid') || value('AZURE_CLIENT_ID') : undefined,
  };
}
