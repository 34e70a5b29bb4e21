/**
 * Connecting from settings: one ioredis client (or Cluster) built (src/redis/create-client.ts),
 * opened and proved (src/redis/open.ts), with a password or a Microsoft Entra token.
 */
import type { RedisClient } from './client';
import { createClient, DEFAULT_LIMITS, type ConnectionLimits } from './create-client';
import { entraLogin, startTokenRefresh, type EntraDeps } from './entra';
import { replaceLibraryWarnings, type ConnectionWarn } from './library-warnings';
import { open, type OpenSettings } from './open';
import type { Settings } from '../config/settings';

export type { RedisClient };
export { serverVersion, type ServerFlavor } from './server-version';
export type { ConnectionWarn } from './library-warnings';
export { createClient, DEFAULT_LIMITS, redisOptions, type ConnectionLimits } from './create-client';
export { open } from './open';

/** Connects and proves the credentials work (PING), mapping failures to clear errors. */
export async function connect(
  settings: OpenSettings & Partial<Pick<Settings, 'azureClientId'>>,
  limits: ConnectionLimits = DEFAULT_LIMITS,
  warn?: ConnectionWarn,
): Promise<RedisClient> {
  if (settings.redisAuth === 'entra') return connectWithEntra(settings, limits);
  const client = createClient(settings, limits);
  const restore = warn ? replaceLibraryWarnings(warn) : () => undefined;
  try {
    await open(client, settings, limits);
  } finally {
    restore();
  }
  return client;
}

/** What `connect()` hands over with `REDIS_AUTH=entra`; `azureClientId` picks a user-assigned identity when set. */
export type EntraSettings = OpenSettings & Partial<Pick<Settings, 'azureClientId'>>;

/** `REDIS_AUTH=entra` (src/redis/entra.ts): the token as the password, refreshed until the client ends. */
export async function connectWithEntra(
  settings: EntraSettings,
  limits: ConnectionLimits,
  deps: EntraDeps = {},
): Promise<RedisClient> {
  const { credential, token, username } = await entraLogin(settings.azureClientId, deps);
  // The token goes in as `redisPassword`, so open()'s error mapping redacts it.
  const auth = { ...settings, redisUsername: username, redisPassword: token.token };
  const client = createClient(auth, limits);
  await open(client, auth, limits);
  startTokenRefresh(client, credential, token, deps);
  return client;
}
