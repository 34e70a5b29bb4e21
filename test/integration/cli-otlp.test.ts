/**
 * `stream-reclaimer run --otlp <url>` (and OTEL_EXPORTER_OTLP_ENDPOINT): the built CLI exports its
 * spans and metrics over OTLP/HTTP (JSON) to a stand-in collector, before it exits.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEntries, createGroup, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { runCli } from '../helpers/cli';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
let collector: Server;
let endpoint: string;
const received: { path: string; body: string }[] = [];

useRedis({}, (started) => (server = started));
beforeAll(async () => {
  ensureBuilt();
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => collector?.close(resolve));
});

async function backlog(): Promise<Record<string, string>> {
  const stream = uniqueName('s');
  const group = uniqueName('g');
  const redis = server.client();
  await addEntries(
    redis,
    stream,
    Array.from({ length: 25 }, (_, i) => tweet(i)),
  );
  await createGroup(redis, stream, group);
  await readAsConsumer(redis, stream, group, 'crashed', 25, { idleMs: 600_000 });
  return { REDIS_HOST: server.host, REDIS_TLS: 'false', STREAM_NAME: stream, STREAM_CONSUMER_GROUP_NAME: group };
}

const bodiesFor = (stream: string, path: string): string[] =>
  received.filter((r) => r.path === path && r.body.includes(stream)).map((r) => r.body);

describe('OTLP export from the CLI', () => {
  it.each([
    ['--otlp', (env: Record<string, string>) => ({ args: ['run', '--json', '--otlp', endpoint], env })],
    [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      (env: Record<string, string>) => ({
        args: ['run', '--json'],
        env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: `${endpoint}/` },
      }),
    ],
  ])('with %s: the run span and the metrics reach the collector before exit', async (_label, how) => {
    const base = await backlog();
    const { args, env } = how(base);
    const r = await runCli(args, env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ processed: 25 });
    const stream = base.STREAM_NAME as string;
    const traces = bodiesFor(stream, '/v1/traces').map((b) => JSON.parse(b));
    const spans = traces.flatMap((t) =>
      t.resourceSpans.flatMap((rs: { scopeSpans: { spans: { name: string }[] }[] }) =>
        rs.scopeSpans.flatMap((s) => s.spans),
      ),
    );
    expect(spans.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining([`reclaim ${stream}`, `process ${stream}`]),
    );
    const metricsBody = bodiesFor(stream, '/v1/metrics').join('\n');
    for (const name of [
      'reclaimer.messages',
      'reclaimer.run.duration',
      'reclaimer.group.pending',
      'reclaimer.dead_letter.length',
    ]) {
      expect(metricsBody).toContain(`"${name}"`);
    }
    expect(JSON.stringify(traces)).toContain('"stream-reclaimer"');
  });

  it('a malformed endpoint is a usage error (exit 2) before anything runs', async () => {
    const r = await runCli(['run', '--otlp', 'not a url'], await backlog());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--otlp/);
  });
});
