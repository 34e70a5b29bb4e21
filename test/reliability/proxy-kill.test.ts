/**
 * Kill at any point on one endpoint that shards (the one-node-cluster stand-in of
 * test/helpers/redis-proxy-fixture.ts): the built CLI is SIGKILLed at random moments, round
 * after round, then a final run completes. Untagged keys (found out by the run): nothing is ever
 * lost; a kill between a write and its ack may leave a hash or record that a later run writes
 * again (at-least-once, docs/design.md §2), and that is all. Tagged keys: the full invariant.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { checkInvariant } from '../helpers/invariant';
import { proxyEnv, settingsOf } from '../helpers/proxy-scenario';
import { startShardedEndpoint, type ShardedEndpoint } from '../helpers/redis-proxy-fixture';
import { backdateReclaimer, OutputLog, seedBacklog, seeded, seedFromEnv, spawnCli } from './support';

const ENTRIES = Number(process.env.PROXY_KILL_ENTRIES || 3_000);
const ROUNDS = Number(process.env.PROXY_KILL_ROUNDS || 6);
/** What at-least-once may leave after a kill between write and ack; anything else is a defect. */
const AT_LEAST_ONCE =
  /hash written but still pending|dead-letter records \(must be at most one\)|dead-lettered but still pending|both hashed and dead-lettered/;

let endpoint: ShardedEndpoint;
let redis: Redis;
const log = new OutputLog();

beforeAll(async () => {
  ensureBuilt();
  endpoint = await startShardedEndpoint();
  redis = endpoint.client();
});
afterAll(async () => {
  await endpoint?.stop();
});

describe.each([
  ['untagged keys (at-least-once)', false],
  ['tagged keys (atomic)', true],
])('SIGKILL at random moments on a sharded endpoint, %s', (_label, tagged) => {
  it(`loses nothing over ${ROUNDS} killed rounds on ${ENTRIES} entries, then a final run completes`, async () => {
    const random = seeded(seedFromEnv('proxy-kill'));
    const stream = tagged ? `{${uniqueName('orders')}}` : uniqueName('orders');
    const env = proxyEnv(endpoint, { STREAM_NAME: stream, MAX_DELIVERIES: '5', BATCH_SIZE: '5', CONCURRENCY: '2' });
    const settings = settingsOf(env);
    const { entries, deleted } = await seedBacklog(redis, settings, ENTRIES);
    const allowed = (violations: string[]): string[] => violations.filter((v) => tagged || !AT_LEAST_ONCE.test(v));

    let killed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const run = spawnCli(['run', '--json'], env, log);
      // Killed once it has settled a random share of what is left, or after 5 s at most.
      const [before] = (await redis.xpending(stream, settings.groupName)) as [number];
      const target = Math.floor(random() * (before / (ROUNDS - round + 1)));
      const started = Date.now();
      let finished = false;
      void run.done.then(() => (finished = true));
      while (!finished && Date.now() - started < 5_000) {
        const [now] = (await redis.xpending(stream, settings.groupName)) as [number];
        if (now <= before - target) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      run.child.kill('SIGKILL');
      const result = await run.done;
      if (result.signal === 'SIGKILL') killed++;
      else expect(result.code, result.stderr).toBe(0);
      await backdateReclaimer(redis, settings);
      const report = await checkInvariant(redis, settings, { entries, deleted });
      expect(allowed(report.violations), `round ${round}`).toEqual([]);
    }
    expect(killed).toBeGreaterThanOrEqual(ROUNDS - 2);

    const final = await spawnCli(['run', '--json'], { ...env, BATCH_SIZE: '500', CONCURRENCY: '16' }, log).done;
    expect(final.code, final.stderr).toBe(0);
    const report = await checkInvariant(redis, settings, { entries, deleted }, { final: true });
    expect(allowed(report.violations)).toEqual([]);
    expect(report.states.pending).toBe(0);
  });
});
