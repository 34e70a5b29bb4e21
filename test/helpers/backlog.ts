/** Builds consumer-group states for tests: crashed consumers' idle backlogs, live fresh entries. */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis as Single } from 'ioredis';
import { loadSettings, type Settings } from '../../src/config/settings';

/** A test-side client: a plain server's, or a Cluster client on a cluster target. */
type Redis = Single | Cluster;

export const uniqueName = (label: string): string => `${label}-${randomBytes(4).toString('hex')}`;

/**
 * Settings for a test: random stream and group names unless given. On a cluster target the
 * stream name is a hash tag (`{stream-…}`), so the default DLQ and hash prefix share its slot.
 * `RECLAIM_STRATEGY` in the test environment forces a strategy (CI matrix); `env` wins over it.
 */
export function testSettings(
  server: { host: string; port: number | undefined; cluster?: boolean },
  env: Record<string, string> = {},
): Settings {
  const forced = process.env.RECLAIM_STRATEGY ? { RECLAIM_STRATEGY: process.env.RECLAIM_STRATEGY } : {};
  return loadSettings({
    REDIS_HOST: server.port ? `${server.host}:${server.port}` : server.host,
    REDIS_TLS: 'false',
    STREAM_NAME: server.cluster ? `{${uniqueName('stream')}}` : uniqueName('stream'),
    STREAM_CONSUMER_GROUP_NAME: uniqueName('group'),
    MIN_IDLE_TIME_SEC: '60',
    ...(server.cluster ? { REDIS_CLUSTER: 'true' } : {}),
    ...forced,
    ...env,
  });
}

export type Fields = (string | Buffer)[];

/** XADDs entries in pipelined chunks; returns their IDs. */
export async function addEntries(redis: Redis, stream: string, entries: Fields[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < entries.length; i += 1000) {
    const pipeline = redis.pipeline();
    for (const fields of entries.slice(i, i + 1000)) pipeline.xadd(stream, '*', ...fields);
    const results = (await pipeline.exec()) ?? [];
    for (const [error, id] of results) {
      if (error) throw error;
      ids.push(String(id));
    }
  }
  return ids;
}

export async function createGroup(redis: Redis, stream: string, group: string): Promise<void> {
  await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
}

/**
 * A consumer reads `count` new entries and never acks them. With `idleMs`, their idle time is
 * backdated (XCLAIM … IDLE … JUSTID keeps the delivery count), so no test has to sleep;
 * `deliveries` sets the delivery count (RETRYCOUNT).
 */
export async function readAsConsumer(
  redis: Redis,
  stream: string,
  group: string,
  consumer: string,
  count: number,
  backdate?: { idleMs: number; deliveries?: number },
): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const reply = (await redis.xreadgroup(
      'GROUP',
      group,
      consumer,
      'COUNT',
      Math.min(1000, count - ids.length),
      'STREAMS',
      stream,
      '>',
    )) as [string, [string, string[]][]][] | null;
    const batch = reply?.[0]?.[1] ?? [];
    if (batch.length === 0) break;
    ids.push(...batch.map(([id]) => id));
  }
  if (backdate) await setPending(redis, stream, group, consumer, ids, backdate.idleMs, backdate.deliveries);
  return ids;
}

/** Sets idle time (and optionally the delivery count) of pending entries, keeping their owner. */
export async function setPending(
  redis: Redis,
  stream: string,
  group: string,
  consumer: string,
  ids: readonly string[],
  idleMs: number,
  deliveries?: number,
): Promise<void> {
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const retry = deliveries === undefined ? [] : ['RETRYCOUNT', deliveries];
    await redis.call('XCLAIM', stream, group, consumer, 0, ...chunk, 'IDLE', idleMs, ...retry, 'JUSTID', 'FORCE');
  }
}

/** Pending entries as [id, consumer, idle, deliveries]. */
export async function pendingOf(
  redis: Redis,
  stream: string,
  group: string,
): Promise<[string, string, number, number][]> {
  return (await redis.call('XPENDING', stream, group, '-', '+', 1_000_000)) as [string, string, number, number][];
}

/** Fields of a simple tweet-like entry. */
export const tweet = (i: number): string[] => ['user', `u${i % 97}`, 'seq', String(i), 'text', `hello ${i}`];
