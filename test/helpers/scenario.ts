/** A realistic mixed backlog: normal, over-delivered, missing the key field, deleted, live. */
import type { Cluster, Redis as Single } from 'ioredis';

/** A plain server's client, or a Cluster client on a cluster target. */
type Redis = Single | Cluster;
import type { Settings } from '../../src/config/settings';
import { addEntries, createGroup, readAsConsumer, setPending } from './backlog';

export interface Scenario {
  normal: string[];
  overMax: string[];
  noKey: string[];
  deleted: string[];
  live: string[];
}

/** Needs HASH_KEY_FIELD=user. Returns the IDs of each kind. */
export async function seedMixed(redis: Redis, s: Settings, n = 200): Promise<Scenario> {
  const fields = (i: number): string[] => (i % 10 === 3 ? ['seq', String(i)] : ['user', `u${i}`, 'seq', String(i)]);
  const ids = await addEntries(
    redis,
    s.streamName,
    Array.from({ length: n }, (_, i) => fields(i)),
  );
  await createGroup(redis, s.streamName, s.groupName);
  await readAsConsumer(redis, s.streamName, s.groupName, 'crashed', n, { idleMs: 600_000 });
  const overMax = ids.filter((_, i) => i % 10 === 7);
  await setPending(redis, s.streamName, s.groupName, 'crashed', overMax, 600_000, s.maxDeliveries);
  const deleted = ids.filter((_, i) => i % 10 === 5);
  await redis.xdel(s.streamName, ...deleted);
  const live = await addEntries(redis, s.streamName, [
    ['user', 'live1'],
    ['user', 'live2'],
  ]);
  await readAsConsumer(redis, s.streamName, s.groupName, 'live', 2);
  return {
    normal: ids.filter((_, i) => ![3, 5, 7].includes(i % 10)),
    overMax,
    noKey: ids.filter((_, i) => i % 10 === 3),
    deleted,
    live,
  };
}

/** The counts a complete run over a seeded mixed backlog must report. */
export function expectedCounts(seeded: Scenario): { processed: number; deadLettered: number; orphaned: number } {
  return {
    processed: seeded.normal.length,
    deadLettered: seeded.overMax.length + seeded.noKey.length,
    orphaned: seeded.deleted.length,
  };
}
