/**
 * `stream-reclaimer watch`: the built timer function on RECLAIM_SCHEDULE, one summary line per
 * run, until interrupted. An every-second schedule keeps this short; nothing asserts timing.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type Redis from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index';
import type { CliIO, InterruptSignal } from '../../src/cli/io';
import { watchCommand } from '../../src/cli/watch';
import { addEntries, createGroup, pendingOf, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
let redis: Redis;

useRedis({}, (started) => ([server, redis] = [started, started.client()]));
beforeAll(async () => {
  if (!existsSync('dist/functions/index.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
});

function testIO(env: Record<string, string>): CliIO & { out: string[]; err: string[]; interrupt: () => void } {
  const out: string[] = [];
  const err: string[] = [];
  let handler: ((signal: InterruptSignal) => void) | undefined;
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    isTTY: false,
    onInterrupt(h) {
      handler = h;
      return () => (handler = undefined);
    },
    interrupt: () => handler?.('SIGINT'),
  };
}

describe('stream-reclaimer watch', () => {
  const stream = uniqueName('stream');
  const group = uniqueName('group');
  const env = {
    REDIS_HOST: '',
    REDIS_TLS: 'false',
    STREAM_NAME: stream,
    STREAM_CONSUMER_GROUP_NAME: group,
    RECLAIM_SCHEDULE: '* * * * * *',
  };

  it('runs the timer function on the schedule, one summary line per run, never overlapping', async () => {
    await addEntries(
      redis,
      stream,
      Array.from({ length: 120 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 120, { idleMs: 600_000 });
    const io = testIO({ ...env, REDIS_HOST: server.host });

    expect(await watchCommand(io, { maxRuns: 2 }, { json: true })).toBe(0);

    expect(io.out).toHaveLength(2);
    const [first, second] = io.out.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Date.parse(String(first?.timestamp))).toBeGreaterThan(0);
    expect(first).toMatchObject({ stream, group, processed: 120, complete: true });
    expect(second).toMatchObject({ scanned: 0, processed: 0, complete: true });
    expect(await pendingOf(redis, stream, group)).toEqual([]);
    expect(io.err.join('')).toMatch(/stopped after 2 runs/);
  });

  it('stops on Ctrl-C and closes the connection', async () => {
    const io = testIO({ ...env, REDIS_HOST: server.host });
    const originalPush = io.out.push.bind(io.out);
    io.out.push = (...lines: string[]) => {
      io.interrupt();
      return originalPush(...lines);
    };
    expect(await watchCommand(io)).toBe(0);
    expect(io.out).toHaveLength(1);
    expect(io.err.join('')).toMatch(/stopped after 1 run\n/);
    // The server drops the socket right after QUIT's reply; poll briefly rather than race it.
    const open = async (): Promise<number> =>
      String(await redis.client('LIST'))
        .split('\n')
        .filter((l) => / name=stream-reclaimer /.test(l)).length;
    for (let i = 0; i < 100 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await open()).toBe(0);
  });

  it('human lines by default; --group overrides; when every run fails, each failure is told once and the exit is 1', async () => {
    const missing = uniqueName('nogroup');
    const io = testIO({ ...env, REDIS_HOST: server.host });
    expect(await watchCommand(io, { maxRuns: 2 }, { group: missing })).toBe(1);
    expect(io.out).toEqual([]);
    const err = io.err.join('');
    expect(err.match(/run failed/g)).toHaveLength(2);
    // The function's own error log of a failed run is not printed besides its `run failed` line.
    expect(err).not.toMatch(/^\S+ error:/m);
    expect(err.split('\n').filter((line) => line.includes(missing) && !line.startsWith('watching:'))).toHaveLength(2);
    expect(err).toMatch(/stopped after 2 runs, 2 failed/);

    const human = testIO({ ...env, REDIS_HOST: server.host });
    expect(await watchCommand(human, { maxRuns: 1 }, { dryRun: true })).toBe(0);
    expect(human.out[0]).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ DRY RUN ${stream}/${group}: scanned 0, .*complete\\n$`),
    );
  });

  it('several targets: a line per target and a totals line each run, a failed target with its error; --json keeps one object per run', async () => {
    const [a, b, missing] = [uniqueName('a'), uniqueName('b'), uniqueName('nogroup')];
    for (const [s, n] of [
      [a, 4],
      [b, 3],
    ] as const) {
      await addEntries(
        redis,
        s,
        Array.from({ length: n }, (_, i) => tweet(i)),
      );
      await createGroup(redis, s, group);
      await readAsConsumer(redis, s, group, 'crashed', n, { idleMs: 600_000 });
    }
    const several = { ...env, REDIS_HOST: server.host, STREAM_NAME: `${a},${b}` };

    const human = testIO(several);
    expect(await watchCommand(human, { maxRuns: 1 }, { dryRun: true })).toBe(0);
    const lines = human.out
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\S+ /, ''));
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^  DRY RUN ${a}/${group}: scanned 4, .*complete$`)),
      expect.stringMatching(new RegExp(`^  DRY RUN ${b}/${group}: scanned 3, .*complete$`)),
      expect.stringMatching(new RegExp(`^DRY RUN total ${a},${b}/${group}: scanned 7, .*complete; 2 targets$`)),
    ]);

    // A failing target: its own line with its error, the others' lines, the totals; the run counts as failed.
    const failing = testIO({ ...several, STREAM_CONSUMER_GROUP_NAME: `${group},${missing}` });
    expect(await watchCommand(failing, { maxRuns: 1 })).toBe(1);
    const out = failing.out
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\S+ /, ''));
    expect(out).toEqual([
      expect.stringMatching(new RegExp(`^  ${a}/${group}: scanned 4, claimed \\d+, processed 4, .*complete$`)),
      `  ${a}/${missing}: FAILED: Stream \`${a}\` on ${server.host} has no consumer group \`${missing}\` (its groups: ${group}): check \`STREAM_CONSUMER_GROUP_NAME\`, or create the group with XGROUP CREATE ${a} ${missing} $`,
      expect.stringMatching(new RegExp(`^  ${b}/${group}: scanned 3, .*processed 3, .*complete$`)),
      expect.stringMatching(new RegExp(`^  ${b}/${missing}: FAILED: Stream \`${b}\``)),
      expect.stringMatching(
        new RegExp(
          `^total ${a},${b}/${group},${missing}: scanned 7, .*processed 7, .*incomplete \\(a target failed\\); 4 targets, 2 failed$`,
        ),
      ),
    ]);
    expect(failing.err.join('')).toMatch(/run failed: 2 of 4 targets failed\n/);

    const json = testIO({ ...several, STREAM_CONSUMER_GROUP_NAME: `${group},${missing}` });
    expect(await watchCommand(json, { maxRuns: 1 }, { json: true })).toBe(1);
    expect(json.out).toHaveLength(1);
    const summary = JSON.parse(json.out[0] ?? '') as { targets: unknown[] };
    expect(summary).toMatchObject({ stream: `${a},${b}`, processed: 0, complete: false });
    expect(summary.targets).toHaveLength(4);
  });

  it('a second Ctrl-C stops at once, even while the run in progress is stuck on a frozen server', async () => {
    const [s2, g2, n] = [uniqueName('stream'), uniqueName('group'), 30_000];
    await addEntries(
      redis,
      s2,
      Array.from({ length: n }, (_, i) => tweet(i)),
    );
    await createGroup(redis, s2, g2);
    await readAsConsumer(redis, s2, g2, 'crashed', n, { idleMs: 600_000 });
    const io = testIO({
      ...env,
      REDIS_HOST: server.host,
      STREAM_NAME: s2,
      STREAM_CONSUMER_GROUP_NAME: g2,
      BATCH_SIZE: '5',
    });
    // A clock a second ahead at every reading: the first run is due at once.
    let t = Date.now();
    const watching = watchCommand(io, { now: () => new Date((t += 1_000)) }, { json: true });
    // In progress once the PEL shrinks (a page settled); then the server freezes under the run.
    const pending = async (): Promise<number> => Number(((await redis.xpending(s2, g2)) as [number])[0]);
    for (let i = 0; i < 1_000 && (await pending()) === n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await pending()).toBeLessThan(n);
    process.kill(server.pid, 'SIGSTOP');
    try {
      io.interrupt();
      expect(io.err.join('')).toMatch(/stopping \(SIGINT\): the run in progress settles what is in flight/);
      io.interrupt();
      expect(await watching).toBe(130);
      expect(io.err.join('')).toMatch(/interrupted again \(SIGINT\): stopping now/);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
  });

  it('bad settings exit 2 before anything runs', async () => {
    const io = testIO({ ...env, REDIS_HOST: server.host, RECLAIM_SCHEDULE: '*/5 * * * *' });
    expect(await main(['watch'], io)).toBe(2);
    expect(io.err.join('')).toMatch(/RECLAIM_SCHEDULE.*6-field NCRONTAB/);
    expect(io.out).toEqual([]);
  });
});
