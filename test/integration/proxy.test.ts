/**
 * One endpoint that shards (Azure Managed Redis under the Enterprise clustering policy), on its
 * real stand-in: a one-node Redis Cluster reached without cluster mode
 * (test/helpers/redis-proxy-fixture.ts). With default, untagged settings a run finds out, warns
 * once and settles everything without a step spanning two slots; stated up front
 * (`REDIS_CLUSTER=proxy`) no CROSSSLOT is ever sent; tagged keys keep the fast path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { runTargets } from '../../src/reclaim/run-targets';
import type { RedisClient } from '../../src/redis/connection';
import { ensureBuilt } from '../helpers/build';
import { runCli } from '../helpers/cli';
import { trackConnections } from '../helpers/connections';
import { checkInvariant } from '../helpers/invariant';
import { startShardedEndpoint, type ShardedEndpoint } from '../helpers/redis-proxy-fixture';
import { proxyEnv, seedProxyBacklog, settingsOf } from '../helpers/proxy-scenario';
import { seedBacklog } from '../reliability/support';
import { serverAtLeast } from '../helpers/server-version';
import { uniqueName } from '../helpers/backlog';
import { RecordingLogger } from '../helpers/fake-entra';

const FOUND = /refused a script over keys in several hash slots \(CROSSSLOT\)/g;

let endpoint: ShardedEndpoint;
let redis: Redis;
const connections = trackConnections();

beforeAll(async () => {
  ensureBuilt();
  endpoint = await startShardedEndpoint();
  redis = endpoint.client();
});
afterAll(async () => {
  connections.closeAll();
  await endpoint?.stop();
});

/** CROSSSLOT replies a client received, counted as they arrive (every server version has them). */
function countRefusals(client: RedisClient): () => number {
  let refusals = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Parameters<typeof send>[0], stream?: unknown) => {
    command.promise.catch((error: Error) => {
      if (error.message.startsWith('CROSSSLOT')) refusals++;
    });
    return (send as (c: unknown, s?: unknown) => unknown)(command, stream);
  }) as typeof client.sendCommand;
  return () => refusals;
}

describe('default untagged settings on a sharded endpoint', () => {
  it('settle a crashed backlog with poison, orphans, a wide poison entry and a live consumer in one CLI run, warning once', async () => {
    const env = proxyEnv(endpoint, { DEREGISTER_IDLE_SEC: '0.001' });
    const settings = settingsOf(env);
    const backlog = await seedProxyBacklog(redis, settings, 600);

    const result = await runCli(['run', '--json'], env);

    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      complete: true,
      stopReason: 'covered',
      failed: 0,
      skipped: 0,
      orphaned: backlog.deleted.size,
    });
    expect(summary.deadLettered).toBe(15 + 12 + 1); // every 40th over the limit, every 50th without `k`, the wide one
    expect(result.stderr.match(FOUND)).toHaveLength(1);
    const report = await checkInvariant(redis, settings, backlog, { final: true });
    expect(report.violations).toEqual([]);
    expect(report.states).toMatchObject({ pending: 5, 'dead-lettered': 28, orphan: backlog.deleted.size });
    // Consumer clean-up: the crashed consumer holds nothing any more; the live one is kept.
    const consumers = ((await redis.xinfo('CONSUMERS', settings.streamName, settings.groupName)) as unknown[][]).map(
      (c) => String(c[1]),
    );
    expect(consumers).toContain('live');
    expect(consumers).not.toContain('crashed');
  });

  it('remember the endpoint per connection: later runs in the process send no refused step and do not warn again', async () => {
    const env = proxyEnv(endpoint);
    const settings = settingsOf(env);
    const client = await connections.open(settings);
    const refusals = countRefusals(client);
    const logger = new RecordingLogger();
    const backlog = await seedProxyBacklog(redis, settings, 200);
    const first = await runTargets({ client, settings, logger });
    // The next timer tick of the same process: more crashed entries, the same connection.
    const more = await seedBacklog(redis, settings, 100, 1_000);
    const second = await runTargets({ client, settings, logger });

    expect(first).toMatchObject({ complete: true, failed: 0, skipped: 0 });
    expect(second).toMatchObject({ complete: true, failed: 0, skipped: 0, processed: more.ids.length - 3 - 2 - 1 });
    for (const [id, fields] of more.entries) backlog.entries.set(id, fields);
    for (const id of more.deleted) backlog.deleted.add(id);
    expect((await checkInvariant(redis, settings, backlog, { final: true })).violations).toEqual([]);
    expect(refusals()).toBe(1); // the probe, before the first step: nothing was sent to be refused after it
    expect(logger.lines.filter((l) => l.level === 'warn' && l.message.match(FOUND))).toHaveLength(1);
  });
});

describe('stated up front (REDIS_CLUSTER=proxy)', () => {
  it('never sends a step that is refused, and settles the same way', async () => {
    const env = proxyEnv(endpoint, { REDIS_CLUSTER: 'proxy' });
    const settings = settingsOf(env);
    const backlog = await seedProxyBacklog(redis, settings, 300);
    const client = await connections.open(settings);
    const refusals = countRefusals(client);
    const before = await endpoint.crossSlotErrors();
    const logger = new RecordingLogger();

    const summary = await runTargets({ client, settings, logger });

    expect(summary).toMatchObject({ complete: true, failed: 0, skipped: 0 });
    expect(refusals()).toBe(0);
    // Server side too, where the server counts errors by kind (6.2+).
    if (serverAtLeast(6, 2)) expect(await endpoint.crossSlotErrors()).toBe(before);
    expect(logger.lines.filter((l) => l.message.match(FOUND))).toEqual([]);
    expect(logger.lines.find((l) => l.message === 'run started')?.fields).toMatchObject({ path: 'general' });
    expect((await checkInvariant(redis, settings, backlog, { final: true })).violations).toEqual([]);
  });
});

describe("keys that share the stream's hash tag", () => {
  it.each([
    ['found out', {}],
    ['stated', { REDIS_CLUSTER: 'proxy' }],
  ])('keep the atomic fast path (%s), with no refusal', async (_label, extra) => {
    const tag = `{${uniqueName('orders')}}`;
    const env = proxyEnv(endpoint, { STREAM_NAME: tag, ...extra });
    const settings = settingsOf(env);
    expect([settings.deadLetterStream, settings.hashKeyPrefix]).toEqual([`${tag}:dlq`, `${tag}:`]);
    const backlog = await seedProxyBacklog(redis, settings, 300);
    const client = await connections.open(settings);
    const refusals = countRefusals(client);
    const logger = new RecordingLogger();

    const summary = await runTargets({ client, settings, logger });

    expect(summary).toMatchObject({ complete: true, failed: 0, skipped: 0 });
    expect(logger.lines.find((l) => l.message === 'run started')?.fields).toMatchObject({ path: 'fast' });
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(refusals()).toBe(0);
    expect((await checkInvariant(redis, settings, backlog, { final: true })).violations).toEqual([]);
  });
});
