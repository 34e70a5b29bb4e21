/** Placeholder until Entra ID auth lands (issue 4). */
import type { ConnectionLimits, RedisClient } from './connection';
import type { Settings } from './settings';

export async function connectWithEntra(_settings: Settings | object, _limits: ConnectionLimits): Promise<RedisClient> {
  throw new Error('`REDIS_AUTH=entra` is not supported by this build yet; use `REDIS_AUTH=password`');
}
