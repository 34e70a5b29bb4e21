/**
 * `stream-reclaimer run` interrupted mid-run (Ctrl-C, SIGTERM): it settles the pages in flight,
 * prints the summary with stopReason "interrupted", says so on stderr, and exits 128 + the
 * signal's number. No timing window: the signal is sent once the CLI logs that the run started,
 * with the server frozen (SIGSTOP) so the run cannot get further until the CLI has acknowledged
 * the signal; then the server resumes.
 */
import type Redis from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/run';
import type { Summary } from '../../src/reclaim/run';
import { addEntries, createGroup, pendingOf, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { runCli, spawnCli } from '../helpers/cli';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

/** Far more than the pages in flight when the signal lands (3 scripts of 10). */
const ENTRIES = 20_000;

let server: RedisServer;
let redis: Redis;

useRedis({}, (started) => ([server, redis] = [started, started.client()]));
beforeAll(async () => {
  ensureBuilt();
});

async function backlog(): Promise<Record<string, string>> {
  const stream = uniqueName('s');
  const group = uniqueName('g');
  await addEntries(
    redis,
    stream,
    Array.from({ length: ENTRIES }, (_, i) => tweet(i)),
  );
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, 'crashed', ENTRIES, { idleMs: 600_000 });
  return {
    REDIS_HOST: server.host,
    REDIS_TLS: 'false',
    STREAM_NAME: stream,
    STREAM_CONSUMER_GROUP_NAME: group,
    BATCH_SIZE: '10',
  };
}

describe('stream-reclaimer run, interrupted', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s: settles what is in flight, prints the summary (stopReason "interrupted"), exits %i',
    async (signal, code) => {
      const env = await backlog();
      const cli = spawnCli(['run', '--json'], env);
      await cli.stderrShows(/run started/);
      process.kill(server.pid, 'SIGSTOP');
      try {
        cli.child.kill(signal);
        await cli.stderrShows(new RegExp(`interrupted \\(${signal}\\)`));
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
      const r = await cli.done;

      expect(r.code, r.stderr).toBe(code);
      const summary = JSON.parse(r.stdout) as {
        processed: number;
        complete: boolean;
        stopReason: string;
        failed: number;
      };
      expect(summary).toMatchObject({ complete: false, stopReason: 'interrupted', failed: 0 });
      expect(r.stderr).toMatch(new RegExp(`stream-reclaimer: interrupted \\(${signal}\\).*next run`));
      const left = await pendingOf(redis, env.STREAM_NAME as string, env.STREAM_CONSUMER_GROUP_NAME as string);
      expect(left.length).toBeGreaterThan(0);
      expect(left).toHaveLength(ENTRIES - summary.processed);

      // The next run picks up where it stopped, and a run that finishes exits 0.
      const next = await runCli(['run', '--json'], env);
      expect(next.code, next.stderr).toBe(0);
      expect(JSON.parse(next.stdout)).toMatchObject({
        processed: ENTRIES - summary.processed,
        complete: true,
        stopReason: 'covered',
      });
    },
  );
});

describe('the human summary', () => {
  const base: Summary = {
    stream: 's',
    group: 'g',
    scanned: 10,
    claimed: 10,
    processed: 10,
    deadLettered: 0,
    orphaned: 0,
    failed: 0,
    skipped: 0,
    deferred: 0,
    requeued: 0,
    deregistered: 0,
    durationMs: 1200,
    complete: false,
    stopReason: 'budget',
    dryRun: false,
  };
  const completeRow = (text: string): string | undefined => /^ {2}complete +(.*)$/m.exec(text)?.[1];

  it('tells an interruption (with its signal) from a spent budget and a covered PEL', () => {
    expect(completeRow(formatSummary({ ...base, stopReason: 'interrupted' }, 'SIGINT'))).toBe(
      'no — interrupted (SIGINT); the next run resumes',
    );
    expect(completeRow(formatSummary({ ...base, stopReason: 'interrupted' }))).toBe(
      'no — interrupted; the next run resumes',
    );
    expect(completeRow(formatSummary(base))).toBe('no — the budget ran out; the next run resumes');
    expect(completeRow(formatSummary({ ...base, complete: true, stopReason: 'covered' }))).toBe('yes');
  });
});
