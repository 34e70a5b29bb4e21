/**
 * GET /api/status with several targets (a stream list and `*` groups): `{ targets: [...] }`, one
 * stats object per target, shaped as the single-target answer. The handler is called directly
 * with a real redis-server behind it; the Functions host is not installable here, and the
 * registration is covered by status-function.test.ts through the worker stand-in.
 */
import type { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEntries, createGroup, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
const savedEnv = { ...process.env };
// Found by STREAM_PATTERN: discovery is what /api/status bounds.
const prefix = uniqueName('status');
const [a, b] = [`${prefix}:a`, `${prefix}:b`];

useRedis({}, (started) => (server = started));
beforeAll(async () => {
  const redis = server.client();
  for (const [stream, groups] of [
    [a, ['g1']],
    [b, ['g1', 'g2']],
  ] as const) {
    await addEntries(
      redis,
      stream,
      Array.from({ length: 5 }, (_, i) => tweet(i)),
    );
    for (const g of groups) await createGroup(redis, stream, g);
  }
  await readAsConsumer(redis, b, 'g2', 'crashed', 3, { idleMs: 600_000 });
  // 5,000 other keys: SCAN needs several calls of 1,000.
  for (let j = 0; j < 5; j++)
    await redis.mset(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`fill-${prefix}-${j}-${i}`, 'x'])));
  // The worker reads app settings from its environment, once per process (this file's own).
  Object.assign(process.env, {
    REDIS_HOST: server.host,
    REDIS_TLS: 'false',
    STREAM_NAME: '',
    STREAM_PATTERN: `${prefix}:*`,
    STREAM_CONSUMER_GROUP_NAME: '*',
  });
});
afterAll(async () => {
  const { closeWorker } = await import('../../functions/worker');
  await closeWorker();
  process.env = savedEnv;
});

describe('GET /api/status, several targets', () => {
  it('answers { targets: [...] }, one stats object per stream and group', async () => {
    const { statusHandler } = await import('../../functions/status');
    const request = { query: new URLSearchParams() } as unknown as HttpRequest;
    const context = { error: () => undefined } as unknown as InvocationContext;
    const response = await statusHandler(request, context);
    expect(response.status).toBe(200);
    const body = response.jsonBody as {
      targets: { stream: string; group: string; pending: number; consumers: unknown[] }[];
    };
    expect(body.targets.map((t) => [t.stream, t.group, t.pending])).toEqual([
      [a, 'g1', 0],
      [b, 'g1', 0],
      [b, 'g2', 3],
    ]);
    expect(body.targets.every((t) => Array.isArray(t.consumers))).toBe(true);
    expect(body).not.toHaveProperty('partial');
  });

  it('discovery past its bound: status 200, the streams found so far, `partial` and why (injected clock)', async () => {
    const { statusHandler } = await import('../../functions/status');
    const request = { query: new URLSearchParams() } as unknown as HttpRequest;
    const context = { error: () => undefined, warn: () => undefined } as unknown as InvocationContext;
    // One tick per reading of the clock, a bound of 2 ticks: one SCAN call, then discovery stops.
    let tick = 0;
    const response = await statusHandler(request, context, { discoveryMs: 2, now: () => tick++ });
    expect(response.status).toBe(200);
    const body = response.jsonBody as { targets: { stream: string }[]; partial: boolean; reason: string };
    expect(body.partial).toBe(true);
    expect(body.reason).toContain(
      `finding the streams of \`STREAM_PATTERN\` \`${prefix}:*\` took longer than 0.002 s (1 SCAN calls of 1000 keys, 0 of 1 masters done)`,
    );
    expect(body.reason).toContain(
      `only the ${new Set(body.targets.map((t) => t.stream)).size} streams found by then are listed`,
    );
    expect(body.targets.every((t) => [a, b].includes(t.stream))).toBe(true);
  });
});
