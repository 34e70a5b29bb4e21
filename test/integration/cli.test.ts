import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addEntries, createGroup, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { freePort, type RedisServer } from '../helpers/redis-server';
import { ensureBuilt } from '../helpers/build';
import { runCli, spawnCli } from '../helpers/cli';
import { useRedis } from '../helpers/use-redis';

const PASSWORD = 'pa55-Secret-value';
let server: RedisServer;

useRedis({ tcp: true, args: ['--requirepass', PASSWORD] }, (started) => (server = started));
beforeAll(async () => {
  ensureBuilt();
});

const target = (): Record<string, string> => ({
  REDIS_HOST: `127.0.0.1:${server.port}`,
  REDIS_TLS: 'false',
  REDIS_PASSWORD: PASSWORD,
  // The CI strategy matrix forces a scan strategy for the CLI's runs too.
  ...(process.env.RECLAIM_STRATEGY ? { RECLAIM_STRATEGY: process.env.RECLAIM_STRATEGY } : {}),
});

describe('stream-reclaimer run', () => {
  it('prints the summary as one JSON line and exits 0', async () => {
    const stream = uniqueName('s');
    const group = uniqueName('g');
    const redis = server.client(PASSWORD);
    await addEntries(
      redis,
      stream,
      Array.from({ length: 30 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 30, { idleMs: 600_000 });

    const r = await runCli(['run', '--json'], { ...target(), STREAM_NAME: stream, STREAM_CONSUMER_GROUP_NAME: group });

    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0] as string);
    expect(Object.keys(summary)).toEqual([
      'stream',
      'group',
      'scanned',
      'claimed',
      'processed',
      'deadLettered',
      'orphaned',
      'failed',
      'skipped',
      'deferred',
      'requeued',
      'deregistered',
      'durationMs',
      'complete',
      'stopReason',
      'dryRun',
    ]);
    expect(summary).toMatchObject({
      stream,
      group,
      processed: 30,
      complete: true,
      stopReason: 'covered',
      dryRun: false,
    });
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('exits 2 listing every settings problem at once', async () => {
    const r = await runCli(['run'], {
      MIN_IDLE_TIME_SEC: '-5',
      MAX_DELIVERIES: 'ten',
      REDIS_AUTH: 'ldap',
      REDIS_PASSWORD: PASSWORD,
    });
    expect(r.code).toBe(2);
    for (const name of [
      'REDIS_HOST',
      'STREAM_NAME',
      'STREAM_CONSUMER_GROUP_NAME',
      'MIN_IDLE_TIME_SEC',
      'MAX_DELIVERIES',
      'REDIS_AUTH',
    ]) {
      expect(r.stderr).toContain(`\`${name}\``);
    }
    expect(r.stderr).toContain('got `-5`');
    expect(r.stderr).toContain('got `ten`');
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it.each([['STREAM_NAME'], ['STREAM_CONSUMER_GROUP_NAME'], ['REDIS_HOST']])(
    'exits 2 when %s is missing',
    async (name) => {
      const env: Record<string, string> = { ...target(), STREAM_NAME: 's', STREAM_CONSUMER_GROUP_NAME: 'g' };
      delete env[name];
      const r = await runCli(['run', '--json'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`Expected \`${name}\` to be set`);
      expect(r.stdout).toBe('');
    },
  );

  it('exits 2 on an unknown flag', async () => {
    expect((await runCli(['run', '--frobnicate'], target())).code).toBe(2);
  });

  it('exits 1 within seconds on a wrong password, naming the host, never the password', async () => {
    const wrong = 'wr0ng-Secret-value';
    const r = await runCli(['run'], {
      ...target(),
      REDIS_PASSWORD: wrong,
      STREAM_NAME: 's',
      STREAM_CONSUMER_GROUP_NAME: 'g',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${server.port}`);
    expect(r.stderr).toMatch(/WRONGPASS|refused the credentials/);
    expect(r.stderr + r.stdout).not.toContain(wrong);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('exits 1 within seconds when the host is unreachable', async () => {
    const port = await freePort();
    const r = await runCli(['run'], {
      REDIS_HOST: `127.0.0.1:${port}`,
      REDIS_TLS: 'false',
      STREAM_NAME: 's',
      STREAM_CONSUMER_GROUP_NAME: 'g',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot reach Redis at 127.0.0.1:${port}`);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('exits 1 naming the stream, and the setting to check, when the stream does not exist', async () => {
    const r = await runCli(['run'], { ...target(), STREAM_NAME: 'nostream', STREAM_CONSUMER_GROUP_NAME: 'nogroup' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Stream `nostream` does not exist');
    expect(r.stderr).toContain('`STREAM_NAME`');
  });

  it('stops quietly with exit 0 when its reader has gone (`--help | head -1`), not with an EPIPE stack', async () => {
    for (const args of [['--help'], ['stats', '--help'], ['--version']]) {
      const cli = spawnCli(args, {});
      cli.child.stdout?.destroy(); // the reader is gone before the first write
      const r = await cli.done;
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
  });

  it('is runnable from the built bin', () => {
    expect(existsSync('dist/cli/index.js')).toBe(true);
  });
});
