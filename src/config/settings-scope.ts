/**
 * What a command reads: the shape of the environment it is handed (settings.ts alone reads
 * `process.env`), and the settings it uses (a scope).
 */
import type { SettingName } from './settings-schema';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The settings a command uses: only these are validated, so a bad value in a setting a command
 * never reads (RECLAIM_SCHEDULE for `stats`) does not block it; the others take their defaults.
 */
export interface SettingsScope {
  readonly use: readonly SettingName[];
  /** Required settings (REQUIRED) this command can do without, like the group for `dlq`. */
  readonly optional?: readonly SettingName[];
}

/** What every command that connects reads. */
export const CONNECTION_SETTINGS: readonly SettingName[] = [
  'REDIS_HOST',
  'REDIS_PASSWORD',
  'REDIS_USERNAME',
  'REDIS_TLS',
  'REDIS_TLS_CA_FILE',
  'REDIS_AUTH',
  'REDIS_CLUSTER',
  'AZURE_CLIENT_ID',
];
