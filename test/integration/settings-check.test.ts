/**
 * Settings that catch mistakes early (issue 26), for every command and the function app: a
 * malformed `STREAM_PATTERN` exits 2 (the function invocation fails) before any Redis command,
 * naming the pattern and what is wrong; a variable that looks like a setting and is none
 * (`REDIS_PORT`) is one warning naming the closest real setting, and the run goes on. The function
 * handlers are called in this process with a real redis-server behind them (the worker stand-in
 * covers their registration elsewhere: status-function.test.ts).
 */
import type { HttpRequest, InvocationContext, Timer } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEntries, createGroup, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { runCliInProcess } from '../helpers/cli-in-process';
import { startRedis, type RedisServer } from '../helpers/redis-server';

let server: RedisServer;
const savedEnv = { ...process.env };
const stream = uniqueName('stream');
const group = uniqueName('group');

beforeAll(async () => {
  server = await startRedis();
  const redis = server.client();
  await addEntries(
    redis,
    stream,
    Array.from({ length: 5 }, (_, i) => tweet(i)),
  );
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, 'crashed', 5, { idleMs: 600_000 });
});
afterAll(async () => {
  const { closeWorker } = await import('../../functions/worker');
  await closeWorker();
  process.env = savedEnv;
  await server?.stop();
});

const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  REDIS_HOST: server.host,
  REDIS_TLS: 'false',
  STREAM_CONSUMER_GROUP_NAME: group,
  ...extra,
});

describe('a malformed STREAM_PATTERN', () => {
  it('every command that reads it exits 2 naming the pattern and what is wrong, before connecting', async () => {
    // Port 1 answers nothing: a command that connected would fail with exit 1, not 2.
    for (const args of [['run'], ['run', '--json'], ['stats'], ['dlq', 'list'], ['acl'], ['watch']]) {
      const result = await runCliInProcess(args, env({ REDIS_HOST: '127.0.0.1:1', STREAM_PATTERN: 'orders[0-9' }));
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(
        'Expected `STREAM_PATTERN` to be a Redis glob such as `events:*`, got `orders[0-9` (the `[` at position 7 is never closed by `]`',
      );
      expect(result.stdout).toBe('');
    }
  });
});

describe('variables that look like settings and are none', () => {
  it('REDIS_PORT: one warning saying where the port goes; the run goes on', async () => {
    const result = await runCliInProcess(
      ['run', '--json'],
      env({ STREAM_NAME: stream, REDIS_PORT: '7411', STREAM_GROUP: 'x' }),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('warning: '))).toEqual([
      'warning: `REDIS_PORT` is not a setting and is ignored: put the port in `REDIS_HOST` as host:port',
      'warning: `STREAM_GROUP` is not a setting and is ignored: did you mean `STREAM_NAME`?',
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ stream, group, processed: 5 });
  });
});

describe('the function app', () => {
  it('warns once per worker about an unknown variable, and a malformed STREAM_PATTERN fails both functions before any command', async () => {
    Object.assign(process.env, env({ STREAM_PATTERN: 'orders\\', REDIS_PORT: '7411' }));
    const { reclaimHandler } = await import('../../functions/reclaim');
    const { statusHandler } = await import('../../functions/status');
    const logs: string[] = [];
    const context = (): InvocationContext =>
      ({
        log: (m: string) => logs.push(`info ${m}`),
        warn: (m: string) => logs.push(`warn ${m}`),
        error: (m: string) => logs.push(`error ${m}`),
      }) as unknown as InvocationContext;

    await expect(reclaimHandler({ isPastDue: false } as unknown as Timer, context())).rejects.toThrow(
      'Expected `STREAM_PATTERN` to be a Redis glob such as `events:*`, got `orders\\` (it ends with a lone `\\`',
    );
    const status = await statusHandler({ query: new URLSearchParams() } as unknown as HttpRequest, context());
    expect(status.status).toBe(500);
    expect(JSON.stringify(status.jsonBody)).toContain('STREAM_PATTERN');
    expect(logs.filter((l) => l.startsWith('warn'))).toEqual([
      'warn settings: `REDIS_PORT` is not a setting and is ignored: put the port in `REDIS_HOST` as host:port',
    ]);
  });
});
