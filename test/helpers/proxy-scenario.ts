/**
 * A crashed backlog on the sharded-endpoint fixture (test/helpers/redis-proxy-fixture.ts), as a
 * new user meets it: poison entries (over MAX_DELIVERIES, missing the key field), orphans, one
 * poison entry too wide for one Lua call, and a live consumer's fresh entries.
 */
import type Redis from 'ioredis';
import { loadSettings, type Settings } from '../../src/config/settings';
import { addEntries, readAsConsumer, setPending, uniqueName } from './backlog';
import type { Backlog, Fields } from './invariant';
import { IDLE_MS, seedBacklog } from '../reliability/support';
import type { ShardedEndpoint } from './redis-proxy-fixture';

/** Field pairs of the wide poison entry: its record holds more than 8,000 values. */
export const WIDE_PAIRS = 4_100;

/** CLI environment for the fixture; `stream` untagged by default (`orders-…`), as a new user names it. */
export function proxyEnv(endpoint: ShardedEndpoint, env: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_HOST: `${endpoint.server.dir}/redis.sock`,
    REDIS_TLS: 'false',
    STREAM_NAME: uniqueName('orders'),
    STREAM_CONSUMER_GROUP_NAME: uniqueName('group'),
    HASH_KEY_FIELD: 'k',
    BATCH_SIZE: '50',
    ...(process.env.RECLAIM_STRATEGY ? { RECLAIM_STRATEGY: process.env.RECLAIM_STRATEGY } : {}),
    ...env,
  };
}

export interface ProxyBacklog extends Backlog {
  entries: Map<string, Fields>;
  deleted: Set<string>;
  live: Set<string>;
  wide: string;
}

/** `n` crashed entries (seedBacklog's poison and orphans), the wide poison entry, and 5 live ones. */
export async function seedProxyBacklog(redis: Redis, settings: Settings, n: number): Promise<ProxyBacklog> {
  const seeded = await seedBacklog(redis, settings, n);
  const wideFields = Array.from({ length: WIDE_PAIRS }, (_, i) => [`f${i}`, `v${i}`]).flat();
  const [wide] = await addEntries(redis, settings.streamName, [wideFields]);
  await readAsConsumer(redis, settings.streamName, settings.groupName, 'crashed', 1, {
    idleMs: IDLE_MS,
    deliveries: settings.maxDeliveries,
  });
  seeded.entries.set(wide as string, wideFields);
  const liveFields = Array.from({ length: 5 }, (_, i) => ['k', `live${i}`, 'seq', String(i)]);
  const liveIds = await addEntries(redis, settings.streamName, liveFields);
  liveIds.forEach((id, i) => seeded.entries.set(id, liveFields[i] as string[]));
  await readAsConsumer(redis, settings.streamName, settings.groupName, 'live', 5);
  return { ...seeded, live: new Set(liveIds), wide: wide as string };
}

export const settingsOf = (env: Record<string, string>): Settings => loadSettings(env);
export { setPending, IDLE_MS };
