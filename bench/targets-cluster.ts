/**
 * Multi-target scaling on a 3-master cluster: three hash-tagged streams, one per master, each
 * with the same backlog, reclaimed by one runTargets call naming all three, against one stream
 * alone. Aggregate entries/s, and the CPU the masters (summed) and this process spent.
 */
import { runTargets } from '../src/reclaim/run-targets';
import { loadSettings, type Settings } from '../src/config/settings';
import { connect, type RedisClient } from '../src/redis/connection';
import type { BenchCluster } from './cluster';
import { keyCount, median, seedStream, serverCpuSeconds, settle, verifyHashCount, verifyStream } from './targets-check';

const GROUP = 'bench-workers';
/** Idle pending entries per stream. */
export const CLUSTER_BACKLOG = 100_000;
/** Measured runs of each shape, interleaved so drift hits both alike; the median is reported. */
const REPEATS = 5;

export interface ScalingRow {
  targets: number;
  entries: number;
  seconds: number;
  entriesPerSec: number;
  /** Summed over the three masters (INFO cpu, user + sys). */
  redisCpuSeconds: number;
  redisCpuUsPerEntry: number;
  nodeCpuSeconds: number;
  nodeCpuUsPerEntry: number;
  /** Redis plus Node CPU over wall time: how many of the machine's cores the run kept busy. */
  coresBusy: number;
  repeats: number;
}

export interface ClusterScaling {
  streams: string[];
  backlogPerStream: number;
  one: ScalingRow;
  three: ScalingRow;
  /** Aggregate entries/s with three targets over one target's. */
  ratio: number;
}

export async function measureClusterScaling(cluster: BenchCluster): Promise<ClusterScaling> {
  const streams = await onePerMaster(cluster);
  const settingsFor = (names: readonly string[]): Settings =>
    loadSettings({
      REDIS_HOST: `127.0.0.1:${cluster.port}`,
      REDIS_TLS: 'false',
      REDIS_CLUSTER: 'true',
      STREAM_NAME: names.join(','),
      STREAM_CONSUMER_GROUP_NAME: GROUP,
      MAX_RUN_SEC: '3600',
    });
  const client = await connect(settingsFor(streams));
  try {
    const one = streams.slice(0, 1);
    // Unrecorded: the first run of a fresh process (JIT, slot map, the servers' allocators) is slower.
    await measure(cluster, client, settingsFor(one), one, 20_000);
    const runs: { one: ScalingRow[]; three: ScalingRow[] } = { one: [], three: [] };
    for (let i = 0; i < REPEATS; i++) {
      runs.one.push(await measure(cluster, client, settingsFor(one), one, CLUSTER_BACKLOG));
      runs.three.push(await measure(cluster, client, settingsFor(streams), streams, CLUSTER_BACKLOG));
    }
    const pick = (rows: ScalingRow[]): ScalingRow => ({
      ...median(rows, (r) => r.entriesPerSec),
      repeats: rows.length,
    });
    const [oneRow, threeRow] = [pick(runs.one), pick(runs.three)];
    return {
      streams,
      backlogPerStream: CLUSTER_BACKLOG,
      one: oneRow,
      three: threeRow,
      ratio: threeRow.entriesPerSec / oneRow.entriesPerSec,
    };
  } finally {
    client.disconnect();
  }
}

/** `{s1}:events`, `{s2}:events`, …: the first tag found on each master, checked with CLUSTER KEYSLOT. */
async function onePerMaster(cluster: BenchCluster): Promise<string[]> {
  const chosen = new Map<number, string>();
  for (let i = 1; chosen.size < cluster.masters.length && i <= 100; i++) {
    const stream = `{s${i}}:events`;
    const master = await cluster.masterOf(stream);
    if (!chosen.has(master)) chosen.set(master, stream);
  }
  if (chosen.size < cluster.masters.length)
    throw new Error(`found hash tags on only ${chosen.size} of ${cluster.masters.length} masters`);
  return [...chosen.values()];
}

async function measure(
  cluster: BenchCluster,
  client: RedisClient,
  settings: Settings,
  streams: readonly string[],
  size: number,
): Promise<ScalingRow> {
  const label = `cluster, ${streams.length} target(s)`;
  await Promise.all(cluster.masters.map((m) => m.flushall()));
  for (const stream of streams) await seedStream(client, stream, GROUP, size);
  if ((await keyCount(cluster.masters)) !== streams.length) throw new Error(`${label}: seeding left other keys behind`);
  await settle();
  const redisBefore = await serverCpuSeconds(cluster.masters);
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  const summary = await runTargets({ client, settings });
  const seconds = (performance.now() - started) / 1000;
  const node = process.cpuUsage(nodeBefore);
  const redisCpuSeconds = (await serverCpuSeconds(cluster.masters)) - redisBefore;
  const entries = size * streams.length;
  const failed = (summary.targets ?? []).filter((t) => 'error' in t);
  if (failed.length > 0 || !summary.complete || summary.processed !== entries) {
    throw new Error(`${label}: run did not process every entry: ${JSON.stringify({ ...summary, targets: failed })}`);
  }
  for (const stream of streams) await verifyStream(client, stream, GROUP, 0, label);
  await verifyHashCount(cluster.masters, streams.length, entries, label);
  const nodeCpuSeconds = (node.user + node.system) / 1e6;
  return {
    targets: streams.length,
    entries,
    seconds,
    entriesPerSec: entries / seconds,
    redisCpuSeconds,
    redisCpuUsPerEntry: (redisCpuSeconds * 1e6) / entries,
    nodeCpuSeconds,
    nodeCpuUsPerEntry: (nodeCpuSeconds * 1e6) / entries,
    coresBusy: (redisCpuSeconds + nodeCpuSeconds) / seconds,
    repeats: 1,
  };
}
