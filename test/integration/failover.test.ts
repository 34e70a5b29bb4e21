/**
 * Failovers on a local 3-master/3-replica cluster: the stream's master is SIGKILLed while a run
 * works on it. With fast (~3 s) and slow (~8 s, cluster-node-timeout 5000) promotion the run
 * rides through, says which node is gone and that it waits, and nothing is lost or twice
 * dead-lettered. A master with no replica left stays gone: the run ends, past its budget, with
 * an error naming that node (not the seed node of REDIS_HOST).
 */
import type { Cluster } from 'ioredis';
import type Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeUnavailableError } from '../../src/errors';
import { runReclaim } from '../../src/reclaim/run';
import type { Settings } from '../../src/config/settings';
import { testSettings, uniqueName } from '../helpers/backlog';
import { trackConnections } from '../helpers/connections';
import { checkInvariant } from '../helpers/invariant';
import { startCluster, type RedisCluster } from '../helpers/redis-cluster';
import { OutputLog, seedBacklog } from '../reliability/support';

const connections = trackConnections();
const clusters: RedisCluster[] = [];
afterAll(async () => {
  connections.closeAll();
  await Promise.all(clusters.map((c) => c.stop()));
});

async function cluster(nodeTimeoutMs: number): Promise<{ c: RedisCluster; admin: Cluster }> {
  const c = await startCluster({ replicas: 1, nodeTimeoutMs });
  clusters.push(c);
  return { c, admin: c.client() };
}

/** Settings for a tagged stream whose master is not the seed node (REDIS_HOST). */
async function settingsOffSeed(c: RedisCluster, admin: Cluster, env: Record<string, string> = {}): Promise<Settings> {
  for (let i = 0; i < 100; i++) {
    const s = testSettings(
      { host: c.host, port: c.port, cluster: true },
      { STREAM_NAME: `{${uniqueName('failover')}}`, HASH_KEY_FIELD: 'k', BATCH_SIZE: '20', ...env },
    );
    if ((await c.ownerOf(Number(await admin.cluster('KEYSLOT', s.streamName)))) !== c.port) return s;
  }
  throw new Error('no stream name off the seed node in 100 tries');
}

/**
 * Seeds a backlog and waits until the stream's replica has it (a SIGKILL loses what it has not).
 * WAIT counts the writes of its own connection: it is sent on the connection that seeded.
 */
async function seed(
  c: RedisCluster,
  admin: Cluster,
  s: Settings,
  n: number,
): Promise<{ master: number; backlog: Awaited<ReturnType<typeof seedBacklog>> }> {
  const backlog = await seedBacklog(admin as unknown as Redis, s, n);
  const master = await c.ownerOf(Number(await admin.cluster('KEYSLOT', s.streamName)));
  const seeder = admin.nodes('master').find((node) => node.options.port === master);
  if (!seeder) throw new Error(`the cluster client has no connection to the stream's master 127.0.0.1:${master}`);
  expect(await seeder.wait(1, 10_000)).toBe(1);
  return { master, backlog };
}

/** Runs, SIGKILLs the stream's master once the run has scanned `killAt` entries, times the promotion. */
async function runThroughKill(c: RedisCluster, s: Settings, master: number, killAt: number) {
  const client = await connections.open(s);
  const log = new OutputLog();
  const warnings: string[] = [];
  const logger = {
    ...log.logger('run'),
    warn: (m: string, f?: Record<string, unknown>) => warnings.push(`${m} ${JSON.stringify(f)}`),
  };
  let killedAt = 0;
  let promotedMs: Promise<number> | undefined;
  const summary = await runReclaim({
    client,
    settings: s,
    logger,
    onProgress: (counts) => {
      if (killedAt || counts.scanned < killAt) return;
      killedAt = Date.now();
      void c.node(master).kill();
      promotedMs = (async () => {
        const slot = Number(await (client as Cluster).cluster('KEYSLOT', s.streamName).catch(() => 0));
        for (let i = 0; i < 600; i++) {
          if ((await c.ownerOf(slot).catch(() => master)) !== master) return Date.now() - killedAt;
          await new Promise((r) => setTimeout(r, 50));
        }
        return Number.NaN;
      })();
    },
  });
  return { summary, warnings, killedAt, rideMs: Date.now() - killedAt, promotedMs: await promotedMs, client };
}

describe.each([
  ['fast', 1_000],
  ['slow', 5_000],
])('a master killed mid-run, %s promotion (cluster-node-timeout %i ms)', (speed, nodeTimeoutMs) => {
  it('the run rides through: waits, says which node is gone, loses nothing, dead-letters nothing twice', async () => {
    const { c, admin } = await cluster(nodeTimeoutMs);
    const s = await settingsOffSeed(c, admin);
    const { master, backlog } = await seed(c, admin, s, 20_000);

    const r = await runThroughKill(c, s, master, 2_000);
    console.log(
      `[failover ${speed}] killed 127.0.0.1:${master}; replica promoted after ${r.promotedMs} ms; run done ${r.rideMs} ms after the kill: ${JSON.stringify(r.summary)}`,
    );

    expect(r.killedAt).toBeGreaterThan(0);
    expect(r.summary).toMatchObject({ complete: true, failed: 0 });
    expect(
      r.warnings.some((w) =>
        w.includes(`Redis node 127.0.0.1:${master} is unreachable; waiting for the cluster to fail over`),
      ),
    ).toBe(true);
    // Writes the dead master had not yet replicated are gone with it (their entries are pending
    // again): a second run settles them, and then every entry is accounted for exactly.
    const again = await runReclaim({ client: r.client, settings: s });
    expect(again).toMatchObject({ complete: true, failed: 0 });
    const report = await checkInvariant(admin, s, backlog, { final: true });
    expect(report.violations).toEqual([]);
    expect(report.states.pending).toBe(0);
    expect(report.checked).toBe(backlog.entries.size);
  }, 120_000);
});

/**
 * A run on a cluster whose stream's master has lost its replica; the master is SIGKILLed at the
 * run's first progress, so no failover can come. `onWarn` sees each warning (with `abort`).
 */
async function runWithMasterLost(
  budgetSec: number,
  onWarn: (message: string, master: number, abort: AbortController) => void,
) {
  const { c, admin } = await cluster(1_000);
  const s = await settingsOffSeed(c, admin, { MAX_RUN_SEC: String(budgetSec) });
  const { master } = await seed(c, admin, s, 5_000);
  const slot = Number(await admin.cluster('KEYSLOT', s.streamName));
  await c.node(await replicaOf(c, master)).kill();
  const client = await connections.open(s);
  const abort = new AbortController();
  const started = Date.now();
  const failure = await runReclaim({
    client,
    settings: s,
    signal: abort.signal,
    logger: { info: () => undefined, error: () => undefined, warn: (m) => onWarn(m, master, abort) },
    onProgress: () => void c.node(master).kill(),
  }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { c, master, slot, failure, tookMs: Date.now() - started };
}

describe('a master with no replica left', () => {
  it('ends the run past its budget with an error naming that node, not REDIS_HOST', async () => {
    const warnings: string[] = [];
    const { c, master, slot, failure, tookMs } = await runWithMasterLost(4, (m) => warnings.push(m));
    console.log(`[failover none] ${failure?.name}: ${failure?.message} (after ${tookMs} ms)`);

    expect(failure).toBeInstanceOf(NodeUnavailableError);
    expect(failure?.message).toContain(`Redis node 127.0.0.1:${master} stayed unreachable`);
    expect(failure?.message).not.toContain(`:${c.port}`);
    expect((failure as NodeUnavailableError).node).toBe(`127.0.0.1:${master}`);
    expect(warnings.some((w) => w.includes(`127.0.0.1:${master}`))).toBe(true);
    // Bounded: the 4 s budget, plus at most one command's own retries and one backoff step.
    expect(tookMs).toBeLessThan(20_000);
    expect(await c.ownerOf(slot)).toBe(master);
  }, 120_000);

  it('an interrupted run stops waiting at once (a budget of 300 s is not waited out), naming the node', async () => {
    // Interrupted (SIGINT, app terminate) as soon as the run says it is waiting for that node.
    const { master, failure, tookMs } = await runWithMasterLost(
      300,
      (m, port, abort) => m.includes(`:${port}`) && abort.abort(),
    );

    expect(failure).toBeInstanceOf(NodeUnavailableError);
    expect(failure?.message).toContain(`Redis node 127.0.0.1:${master} stayed unreachable`);
    expect(failure?.message).toContain('interrupted while waiting');
    // Far below the budget: without the signal the run would wait out its 300 s (test timeout 120 s).
    expect(tookMs).toBeLessThan(30_000);
  }, 120_000);
});

/** The port of the replica of the master on `port` (CLUSTER REPLICAS of its node ID). */
async function replicaOf(c: RedisCluster, port: number): Promise<number> {
  const node = c.node(port).client();
  const id = String(await node.cluster('MYID'));
  const lines = (await node.cluster('REPLICAS', id)) as string[];
  node.disconnect();
  const match = /:(\d+)@/.exec(lines[0] ?? '');
  if (!match) throw new Error(`master 127.0.0.1:${port} has no replica: ${JSON.stringify(lines)}`);
  return Number(match[1]);
}
