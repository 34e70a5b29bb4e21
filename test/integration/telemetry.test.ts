/**
 * Traces and metrics of runs against a password-protected redis-server, read back through the
 * in-memory SDK: the span tree and exact counts of a mixed backlog, a run that loses Redis midway,
 * and a scan of everything exported (and every log line) for the password and field values.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/redis/connection';
import { createHashWriter, type Processor } from '../../src/reclaim/process';
import { buildKeys } from '../../src/redis/keys';
import { runReclaim } from '../../src/reclaim/run';
import type { Settings } from '../../src/config/settings';
import type { Logger } from '../../src/telemetry/logger';
import { addEntries, createGroup, readAsConsumer, setPending, testSettings } from '../helpers/backlog';
import { installTestTelemetry, spanStrings, type Point } from '../helpers/otel';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

const PASSWORD = 'otel-Pa55word-never-exported';
const telemetry = installTestTelemetry();
const logLines: string[] = [];
const logger: Logger = {
  info: (m, f) => logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
  warn: (m, f) => logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
  error: (m, f) => logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
};
/** Every field value written to a stream in this file; none may show up in telemetry. */
const fieldValues: string[] = [];

let server: RedisServer;
let redis: Redis;

const connections = useRedis(
  { args: ['--requirepass', PASSWORD] },
  (started) => ([server, redis] = [started, started.client(PASSWORD)]),
);

async function setup(
  on: RedisServer,
  env: Record<string, string>,
): Promise<{ settings: Settings; client: RedisClient }> {
  const settings = testSettings(on, { REDIS_PASSWORD: PASSWORD, ...env });
  const client = await connections.open(settings);
  return { settings, client };
}

/** Fields with secret-like values; `seq` picks what happens to the entry. */
function fields(i: number, withKey: boolean): string[] {
  const values = [
    `sk_live_${i}_${Math.random().toString(36).slice(2)}`,
    `4111-1111-${String(i).padStart(4, '0')}-${i * 7}`,
  ];
  fieldValues.push(...values, `user-${values[0]}`);
  return [
    ...(withKey ? ['user', `user-${values[0]}`] : []),
    'token',
    values[0] as string,
    'card',
    values[1] as string,
    'seq',
    String(i),
  ];
}

/**
 * n entries of a crashed consumer, by i % 10: 3 no key field (dead-lettered), 5 deleted (orphaned),
 * 7 at MAX_DELIVERIES (dead-lettered), 1 failing in the processor, the rest processed.
 */
async function seed(r: Redis, s: Settings, n: number): Promise<void> {
  const ids = await addEntries(
    r,
    s.streamName,
    Array.from({ length: n }, (_, i) => fields(i, i % 10 !== 3)),
  );
  await createGroup(r, s.streamName, s.groupName);
  await readAsConsumer(r, s.streamName, s.groupName, 'crashed', n, { idleMs: 600_000 });
  await setPending(
    r,
    s.streamName,
    s.groupName,
    'crashed',
    ids.filter((_, i) => i % 10 === 7),
    600_000,
    s.maxDeliveries,
  );
  await r.xdel(s.streamName, ...ids.filter((_, i) => i % 10 === 5));
}

/** The hash writer, except that entries with seq % 10 == 1 fail (a transient error, no field value in it). */
function flakyProcessor(s: Settings): Processor {
  const writer = createHashWriter(buildKeys(s), s.hashKeyField);
  return {
    async process(entry, source) {
      const seq = Number(entry.fields[entry.fields.findIndex((f) => f.toString() === 'seq') + 1]);
      if (seq % 10 === 1) throw new Error('downstream unavailable');
      return writer.process(entry, source);
    },
  };
}

const byName = (points: Point[], name: string, stream: string): Point[] =>
  points.filter((p) => p.name === name && p.attributes['messaging.destination.name'] === stream);
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan): ReadableSpan[] =>
  spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

describe('a run over a mixed backlog', () => {
  it('produces the run span, one batch span per page, dead-letter spans, exact counters and health gauges', async () => {
    const { settings, client } = await setup(server, { HASH_KEY_FIELD: 'user', BATCH_SIZE: '50', MAX_DELIVERIES: '3' });
    await seed(redis, settings, 200);
    telemetry.reset();

    const summary = await runReclaim({ client, settings, processor: flakyProcessor(settings), logger });

    expect(summary).toMatchObject({
      scanned: 200,
      claimed: 160,
      processed: 120,
      deadLettered: 40,
      orphaned: 20,
      failed: 20,
      skipped: 0,
      complete: true,
    });
    const spans = telemetry.spans();
    const runs = spans.filter((s) => s.name === `reclaim ${settings.streamName}`);
    expect(runs).toHaveLength(1);
    const run = runs[0] as ReadableSpan;
    expect(run.parentSpanContext).toBeUndefined();
    expect(run.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(run.attributes).toMatchObject({
      'messaging.system': 'redis',
      'messaging.destination.name': settings.streamName,
      'messaging.consumer.group.name': settings.groupName,
      'messaging.operation.name': 'reclaim',
      'reclaimer.scanned': 200,
      'reclaimer.claimed': 160,
      'reclaimer.processed': 120,
      'reclaimer.dead_lettered': 40,
      'reclaimer.orphaned': 20,
      'reclaimer.failed': 20,
      'reclaimer.skipped': 0,
      'reclaimer.deregistered': 0,
      'reclaimer.complete': true,
      'reclaimer.stop_reason': 'covered',
      'reclaimer.dry_run': false,
      'reclaimer.duration_ms': summary.durationMs,
    });

    const batches = childrenOf(spans, run);
    expect(batches.map((b) => b.name)).toEqual(Array(4).fill(`process ${settings.streamName}`));
    for (const b of batches) {
      expect(b.kind).toBe(SpanKind.INTERNAL);
      // Each page of 50 holds 5 of each kind.
      expect(b.attributes).toMatchObject({
        'messaging.operation.type': 'process',
        'messaging.batch.message_count': 50,
        'reclaimer.scanned': 50,
        'reclaimer.processed': 30,
        'reclaimer.dead_lettered': 10,
        'reclaimer.orphaned': 5,
        'reclaimer.failed': 5,
      });
      const dead = childrenOf(spans, b);
      expect(dead.map((d) => d.name)).toEqual(Array(2).fill(`dead_letter ${settings.deadLetterStream}`));
      expect(dead.map((d) => d.attributes['reclaimer.dead_letter.reasons'])).toEqual(
        expect.arrayContaining([['max-deliveries'], ['missing-key-field']]),
      );
      for (const d of dead) {
        expect(d.kind).toBe(SpanKind.PRODUCER);
        expect(d.attributes).toMatchObject({
          'messaging.destination.name': settings.deadLetterStream,
          'messaging.operation.type': 'send',
          'messaging.batch.message_count': 5,
          'reclaimer.dead_lettered': 5,
          'reclaimer.source_stream': settings.streamName,
        });
      }
    }

    const points = await telemetry.points();
    const outcomes = Object.fromEntries(
      byName(points, 'reclaimer.messages', settings.streamName).map((p) => [
        p.attributes['reclaimer.outcome'],
        p.value,
      ]),
    );
    expect(outcomes).toEqual({ processed: 120, dead_lettered: 40, orphaned: 20, failed: 20 });
    const [duration] = byName(points, 'reclaimer.run.duration', settings.streamName);
    expect(duration).toMatchObject({ unit: 's', value: 1, sum: summary.durationMs / 1000 });
    const gauge = (name: string): number | undefined => byName(points, name, settings.streamName)[0]?.value;
    // Left pending: the 20 failed entries. Consumers: crashed and the reclaimer.
    expect(gauge('reclaimer.group.pending')).toBe(20);
    expect(gauge('reclaimer.group.consumers')).toBe(2);
    expect(gauge('reclaimer.dead_letter.length')).toBe(40);
    expect(gauge('reclaimer.group.oldest_pending_idle')).toBeGreaterThanOrEqual(0);
    expect(gauge('reclaimer.group.oldest_pending_idle')).toBeLessThan(60);
  });

  it('the hash writer fast path: batch spans carry the counts, no dead-letter child spans', async () => {
    const { settings, client } = await setup(server, {
      HASH_KEY_FIELD: 'user',
      BATCH_SIZE: '100',
      MAX_DELIVERIES: '3',
    });
    await seed(redis, settings, 100);
    telemetry.reset();
    const summary = await runReclaim({ client, settings, logger });
    expect(summary).toMatchObject({ processed: 70, deadLettered: 20, orphaned: 10, failed: 0 });
    const run = telemetry.spans().find((s) => s.name === `reclaim ${settings.streamName}`) as ReadableSpan;
    const batches = childrenOf(telemetry.spans(), run);
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(batches.flatMap((b) => childrenOf(telemetry.spans(), b))).toEqual([]);
    const sum = (key: string): number => batches.reduce((n, b) => n + Number(b.attributes[key] ?? 0), 0);
    expect([sum('reclaimer.processed'), sum('reclaimer.dead_lettered'), sum('reclaimer.orphaned')]).toEqual([
      70, 20, 10,
    ]);
    const outcomes = byName(await telemetry.points(), 'reclaimer.messages', settings.streamName);
    expect(Object.fromEntries(outcomes.map((p) => [p.attributes['reclaimer.outcome'], p.value]))).toEqual({
      processed: 70,
      dead_lettered: 20,
      orphaned: 10,
    });
  });
});

describe('a run that loses Redis midway', () => {
  it('ends its span with status ERROR, error.type and a recorded exception; duration recorded with error.type', async () => {
    const doomed = await startRedis({ args: ['--requirepass', PASSWORD] });
    const r = doomed.client(PASSWORD);
    const { settings, client } = await setup(doomed, { BATCH_SIZE: '20', MIN_IDLE_TIME_SEC: '1' });
    await seed(r, settings, 100);
    let stopped: Promise<void> | undefined;
    const processor: Processor = {
      async process() {
        // The first entry processed shuts the server down; settling then fails.
        stopped ??= doomed.stop();
        await stopped;
        return undefined;
      },
    };
    telemetry.reset();
    await expect(runReclaim({ client, settings, processor, logger })).rejects.toMatchObject({
      name: 'RedisUnavailableError',
    });

    const run = telemetry.spans().find((s) => s.name === `reclaim ${settings.streamName}`) as ReadableSpan;
    expect(run.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(run.attributes['error.type']).toBe('RedisUnavailableError');
    const exception = run.events.find((e) => e.name === 'exception');
    expect(exception?.attributes).toMatchObject({ 'exception.type': 'RedisUnavailableError' });
    expect(String(exception?.attributes?.['exception.message'])).toMatch(/Redis/);
    expect(childrenOf(telemetry.spans(), run).some((b) => b.status.code === SpanStatusCode.ERROR)).toBe(true);
    const [duration] = byName(await telemetry.points(), 'reclaimer.run.duration', settings.streamName);
    expect(duration?.attributes['error.type']).toBe('RedisUnavailableError');
  });
});

describe('nothing secret is exported', () => {
  it('no span string, metric attribute or log line of these runs holds the password or a field value', async () => {
    // Spans of every run in this file (the failed one's exception included), plus a dry run and a second pass.
    const { settings, client } = await setup(server, { HASH_KEY_FIELD: 'user', BATCH_SIZE: '30', MAX_DELIVERIES: '3' });
    await seed(redis, settings, 60);
    telemetry.reset();
    await runReclaim({ client, settings: { ...settings, dryRun: true }, processor: flakyProcessor(settings), logger });
    await runReclaim({ client, settings, processor: flakyProcessor(settings), logger });
    await runReclaim({ client, settings: { ...settings, minIdleMs: 0 }, logger });

    const strings = telemetry.allSpans().flatMap(spanStrings);
    for (const p of await telemetry.points())
      for (const [k, v] of Object.entries(p.attributes)) strings.push(k, String(v));
    strings.push(...logLines);
    expect(strings.length).toBeGreaterThan(100);
    expect(fieldValues.length).toBeGreaterThan(500);
    const text = strings.join('\n');
    expect(text).not.toContain(PASSWORD);
    expect(fieldValues.filter((v) => text.includes(v))).toEqual([]);
    // The scan sees what it should: the stream name is exported, so a leak would have been found.
    expect(text).toContain(settings.streamName);
  });
});
