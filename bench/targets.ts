/**
 * The bench's multi-target section (issue 18): (a) three streams, one per master of a local
 * 3-master cluster, in one run against one stream alone; (b) one 1,000,000-entry target beside
 * 50 small ones on one server, in runs whose budget covers only part of the huge backlog.
 * Prints its tables and adds `targets` to bench/results/results.json.
 */
import { cpus, loadavg } from 'node:os';
import Redis from 'ioredis';
import { freePort, startDemoRedis, type DemoRedis } from '../src/local/redis-server';
import { startBenchCluster, type BenchCluster } from './cluster';
import { measureClusterScaling, type ClusterScaling, type ScalingRow } from './targets-cluster';
import { measureMix, type Mix } from './targets-mix';
import { mergeResults } from './report';

export interface TargetsResults {
  date: string;
  redis: string;
  /** The machine's cores and its 1-minute load average before each part: other work skews the figures. */
  machine: { cores: number; loadBeforeCluster: number; loadBeforeMix: number };
  cluster: ClusterScaling;
  mix: Mix;
}

export async function benchTargets(binary: string, resultsDir: string): Promise<TargetsResults> {
  let cluster: BenchCluster | undefined;
  let server: DemoRedis | undefined;
  let redis: Redis | undefined;
  try {
    const loadBeforeCluster = load('3-master local cluster, one stream per master');
    cluster = await startBenchCluster(binary);
    const version = /redis_version:(\S+)/.exec(await (cluster.masters[0] as Redis).info('server'))?.[1] ?? 'unknown';
    const scaling = await measureClusterScaling(cluster);
    printScaling(scaling);
    await cluster.stop();
    cluster = undefined;

    const loadBeforeMix = load('one huge target beside 50 small ones, one server');
    server = await startDemoRedis(binary, { port: await freePort() });
    redis = new Redis({ path: server.socket });
    const mix = await measureMix(server, redis);
    printMix(mix);
    const results: TargetsResults = {
      date: new Date().toISOString(),
      redis: version,
      machine: { cores: cpus().length, loadBeforeCluster, loadBeforeMix },
      cluster: scaling,
      mix,
    };
    mergeResults(resultsDir, { targets: results });
    console.log(`\nwrote targets into ${resultsDir}/results.json`);
    return results;
  } finally {
    redis?.disconnect();
    await server?.stop();
    await cluster?.stop();
  }
}

/** Prints the part's heading with the load it starts under, and returns that load. */
function load(part: string): number {
  const [oneMinute = 0] = loadavg();
  console.log(`\nmulti-target: ${part} (${cpus().length} cores, load average ${oneMinute.toFixed(2)} before)`);
  return oneMinute;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

function printScaling(s: ClusterScaling): void {
  console.log(
    `streams ${s.streams.join(', ')}, ${n(s.backlogPerStream)} idle pending entries each; medians of ${s.one.repeats} runs`,
  );
  console.log('targets    entries  seconds  entries/s   Redis CPU (3 masters)   Node CPU               cores busy');
  const row = (r: ScalingRow): string =>
    `${String(r.targets).padStart(7)} ${n(r.entries).padStart(10)} ${r.seconds.toFixed(2).padStart(8)} ${n(r.entriesPerSec).padStart(10)}   ` +
    `${r.redisCpuSeconds.toFixed(2).padStart(5)} s ${r.redisCpuUsPerEntry.toFixed(1).padStart(5)} µs/entry   ` +
    `${r.nodeCpuSeconds.toFixed(2).padStart(5)} s ${r.nodeCpuUsPerEntry.toFixed(1).padStart(5)} µs/entry   ${r.coresBusy.toFixed(2)}`;
  console.log(row(s.one));
  console.log(row(s.three));
  console.log(`aggregate entries/s, 3 targets vs 1: ${s.ratio.toFixed(2)}x`);
}

function printMix(m: Mix): void {
  console.log(
    `single target alone: ${n(m.singleTargetEntriesPerSec)} entries/s, so MAX_RUN_SEC=${m.budgetSec} (about ${n(m.singleTargetEntriesPerSec * m.budgetSec)} of ${n(m.big)} at that rate); ` +
      `${m.order}`,
  );
  console.log(
    'run  seconds  small done so far  huge: processed  remaining  stop     total: processed  complete  stopReason',
  );
  for (const r of m.runs) {
    console.log(
      `${String(r.run).padStart(3)} ${r.seconds.toFixed(2).padStart(8)} ${`${r.smallComplete}/${m.smallTargets}`.padStart(18)} ` +
        `${n(r.bigProcessed).padStart(16)} ${n(r.bigRemaining).padStart(10)}  ${r.bigStopReason.padEnd(7)} ${n(r.totals.processed).padStart(16)}  ${String(r.totals.complete).padEnd(8)}  ${r.totals.stopReason}`,
    );
  }
}
