/**
 * Telemetry of one run over several targets (issue 18), read back through the in-memory SDK:
 * one run span per target carrying that target's stream and group (a failed target's span too,
 * with its error), every batch span and metric data point attributed to its own target, and
 * every log line of a target (`run started`, `processing failed`) naming its stream and group.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { runTargets, type RunSummary } from '../../src/reclaim/run-targets';
import type { Summary } from '../../src/reclaim/run';
import type { Processor } from '../../src/reclaim/process';
import type { Logger, LogFields } from '../../src/telemetry/logger';
import { addEntries, createGroup, readAsConsumer, testSettings, tweet, uniqueName } from '../helpers/backlog';
import { installTestTelemetry, type Point } from '../helpers/otel';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

const telemetry = installTestTelemetry();
let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

interface Line {
  level: string;
  message: string;
  fields: LogFields;
}
function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (message: string, fields: LogFields = {}) =>
      lines.push({ level, message, fields });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A stream key of this test: hash-tagged on a cluster target, so its keys share a slot. */
const key = (label: string): string => (server.cluster ? `{${uniqueName(label)}}` : uniqueName(label));
const pair = (stream: unknown, group: unknown): string => `${String(stream)}/${String(group)}`;
const targetOf = (attributes: Record<string, unknown>): string =>
  pair(attributes['messaging.destination.name'], attributes['messaging.consumer.group.name']);

/** `n` tweets on `stream`, each group's crashed consumer holding all of them, idle; returns their IDs. */
async function backlog(stream: string, groups: readonly string[], n: number): Promise<string[]> {
  const ids = await addEntries(
    redis,
    stream,
    Array.from({ length: n }, (_, i) => tweet(i)),
  );
  for (const group of groups) {
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', n, { idleMs: 600_000 });
  }
  return ids;
}

/** Three streams × two groups; the last stream lacks the second group, so that target fails. */
async function sixTargets(
  sizes: readonly [number, number, number],
): Promise<{ streams: string[]; groups: string[]; ids: Map<string, string[]>; env: Record<string, string> }> {
  const streams = [key('a'), key('b'), key('c')];
  const groups = [uniqueName('g1'), uniqueName('g2')];
  const ids = new Map<string, string[]>();
  for (const [i, stream] of streams.entries())
    ids.set(stream, await backlog(stream, i === 2 ? groups.slice(0, 1) : groups, sizes[i] as number));
  return {
    streams,
    groups,
    ids,
    env: { STREAM_NAME: streams.join(','), STREAM_CONSUMER_GROUP_NAME: groups.join(','), BATCH_SIZE: '10' },
  };
}

const ran = (s: RunSummary): Summary[] => (s.targets ?? []).filter((t): t is Summary => !('error' in t));
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan): ReadableSpan[] =>
  spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
const pointsOf = (points: Point[], name: string, streams: readonly string[]): Point[] =>
  points.filter((p) => p.name === name && streams.includes(String(p.attributes['messaging.destination.name'])));

describe('a run over several targets', () => {
  it('one run span per target with its stream and group, batch spans and metric points attributed to their target', async () => {
    const { streams, groups, env } = await sixTargets([30, 20, 10]);
    const settings = testSettings(server, env);
    const client = await connections.open(settings);
    const { logger, lines } = capture();
    telemetry.reset();

    const summary = await runTargets({ client, settings, logger });

    const expected = streams.flatMap((s) => groups.map((g) => pair(s, g)));
    const failed = pair(streams[2], groups[1]);
    expect((summary.targets ?? []).map((t) => pair(t.stream, t.group))).toEqual(expected);
    expect(ran(summary).map((t) => t.processed)).toEqual([30, 30, 20, 20, 10]);

    const spans = telemetry.spans();
    const runs = spans.filter((s) => s.name.startsWith('reclaim '));
    // Exactly one run span per target, named after its stream, with its stream and group.
    expect(runs.map((r) => targetOf(r.attributes)).sort()).toEqual([...expected].sort());
    for (const run of runs) {
      const target = targetOf(run.attributes);
      expect(run.name).toBe(`reclaim ${String(run.attributes['messaging.destination.name'])}`);
      if (target === failed) {
        expect(run.status.code).toBe(SpanStatusCode.ERROR);
        expect(run.attributes['error.type']).toBe('MissingGroupError');
        continue;
      }
      const own = ran(summary).find((t) => pair(t.stream, t.group) === target) as Summary;
      expect(run.attributes).toMatchObject({ 'reclaimer.processed': own.processed, 'reclaimer.complete': true });
      // Its batch spans carry the same target, and add up to its own counts.
      const batches = childrenOf(spans, run);
      expect(batches.length).toBeGreaterThanOrEqual(own.processed / 10);
      expect(batches.map((b) => targetOf(b.attributes))).toEqual(batches.map(() => target));
      expect(batches.reduce((n, b) => n + Number(b.attributes['reclaimer.processed']), 0)).toBe(own.processed);
    }

    const points = await telemetry.points();
    const processed = pointsOf(points, 'reclaimer.messages', streams).filter(
      (p) => p.attributes['reclaimer.outcome'] === 'processed',
    );
    expect(Object.fromEntries(processed.map((p) => [targetOf(p.attributes), p.value]))).toEqual(
      Object.fromEntries(ran(summary).map((t) => [pair(t.stream, t.group), t.processed])),
    );
    const durations = pointsOf(points, 'reclaimer.run.duration', streams);
    expect(durations.map((p) => targetOf(p.attributes)).sort()).toEqual([...expected].sort());
    expect(durations.find((p) => targetOf(p.attributes) === failed)?.attributes['error.type']).toBe(
      'MissingGroupError',
    );
    // Health gauges of every target that ran: nothing left pending in any of them.
    const pending = pointsOf(points, 'reclaimer.group.pending', streams);
    expect(Object.fromEntries(pending.map((p) => [targetOf(p.attributes), p.value]))).toEqual(
      Object.fromEntries(expected.filter((t) => t !== failed).map((t) => [t, 0])),
    );

    // `run started` once per target that ran, naming its stream and group.
    const started = lines.filter((l) => l.message === 'run started').map((l) => pair(l.fields.stream, l.fields.group));
    expect(started.sort()).toEqual(expected.filter((t) => t !== failed).sort());
  });

  it('a warning about an entry names the stream and group it belongs to', async () => {
    const { streams, groups, ids, env } = await sixTargets([12, 8, 4]);
    const settings = testSettings(server, env);
    const client = await connections.open(settings);
    const { logger, lines } = capture();
    // Fails every entry with an even `seq` (acks the others without a write): the processor is
    // not told the target, so only the log line can say which stream and group an entry is of.
    const processor: Processor = {
      async process(entry) {
        if (Number(entry.fields[entry.fields.findIndex((f) => f.toString() === 'seq') + 1]) % 2 === 0)
          throw new Error('downstream unavailable');
      },
    };

    const summary = await runTargets({ client, settings, logger, processor });

    expect(summary.failed).toBe(6 + 6 + 4 + 4 + 2);
    const warned = lines.filter((l) => l.message.startsWith('processing failed'));
    expect(warned).toHaveLength(summary.failed);
    const expected = streams.flatMap((s, i) =>
      (i === 2 ? groups.slice(0, 1) : groups).flatMap((g) =>
        (ids.get(s) ?? []).filter((_, seq) => seq % 2 === 0).map((id) => `${pair(s, g)} ${id}`),
      ),
    );
    expect(warned.map((l) => `${pair(l.fields.stream, l.fields.group)} ${String(l.fields.id)}`).sort()).toEqual(
      expected.sort(),
    );
  });
});
