/**
 * Several targets on a real 3-master cluster (always, whatever TEST_TARGET says): three
 * hash-tagged streams on three masters, found by STREAM_PATTERN (SCAN on every master) and
 * reclaimed by one run, atomically (each stream's keys share its tag), the invariant on each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { runTargets } from '../../src/reclaim/run-targets';
import type { Summary } from '../../src/reclaim/run';
import { addEntries, createGroup, readAsConsumer, testSettings, tweet, uniqueName } from '../helpers/backlog';
import { checkInvariant } from '../helpers/invariant';
import { startCluster, type RedisCluster } from '../helpers/redis-cluster';
import { trackConnections } from '../helpers/connections';

let cluster: RedisCluster;
let redis: Cluster;
const connections = trackConnections();

beforeAll(async () => {
  cluster = await startCluster();
  redis = cluster.client();
});
afterAll(async () => {
  connections.closeAll();
  await cluster?.stop();
});

describe('targets across cluster shards', () => {
  it('a pattern finds three hash-tagged streams on three masters; one run reclaims them all', async () => {
    const suffix = uniqueName('orders');
    const group = uniqueName('group');
    const streams: string[] = [];
    const owners = new Set<number>();
    while (owners.size < 3) {
      const stream = `{${uniqueName('t')}}:${suffix}`;
      const owner = await cluster.ownerOf(Number(await redis.cluster('KEYSLOT', stream)));
      if (owners.has(owner)) continue;
      owners.add(owner);
      streams.push(stream);
    }
    const seeded = new Map<string, Map<string, string[]>>();
    for (const [i, stream] of streams.entries()) {
      const entries = Array.from({ length: 40 + i * 10 }, (_, n) => tweet(n));
      const ids = await addEntries(redis, stream, entries);
      await createGroup(redis, stream, group);
      await readAsConsumer(redis, stream, group, 'crashed', entries.length, { idleMs: 600_000 });
      seeded.set(stream, new Map(ids.map((id, n) => [id, entries[n] as string[]])));
    }
    const settings = testSettings({ host: cluster.host, port: cluster.port, cluster: true }, {
      STREAM_NAME: '', STREAM_PATTERN: `*:${suffix}`, STREAM_CONSUMER_GROUP_NAME: group, BATCH_SIZE: '16',
    });
    const warnings: string[] = [];
    const logger = { info: () => undefined, error: () => undefined, warn: (m: string) => warnings.push(m) };

    const summary = await runTargets({ client: await connections.open(settings), settings, logger });

    expect((summary.targets ?? []).map((t) => t.stream)).toEqual([...streams].sort());
    expect(summary).toMatchObject({ processed: 40 + 50 + 60, complete: true, stopReason: 'covered' });
    for (const t of summary.targets as Summary[]) expect(t).toMatchObject({ processed: seeded.get(t.stream)?.size, complete: true });
    // Same-slot keys per target: no at-least-once warning.
    expect(warnings).toEqual([]);
    for (const [stream, entries] of seeded) {
      const cfg = { ...settings, streamName: stream, groupName: group, deadLetterStream: `${stream}:dlq`, hashKeyPrefix: `${stream}:` };
      expect((await checkInvariant(redis, cfg, { entries }, { final: true })).violations).toEqual([]);
    }
  });
});
