/**
 * The retry policy in telemetry: the run span carries `reclaimer.action`, the backoff ceiling and
 * the `requeued` and `deferred` counts; `reclaimer.messages` counts them by outcome. Real server,
 * in-memory OTel exporters (test/helpers/otel.ts).
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { runReclaim } from '../../src/reclaim/run';
import { addEntries, createGroup, readAsConsumer, setPending, testSettings, tweet } from '../helpers/backlog';
import { installTestTelemetry } from '../helpers/otel';
import { type TestClient, type ServerUnderTest } from '../helpers/server-under-test';
import { useRedis } from '../helpers/use-redis';

const telemetry = installTestTelemetry();
let server: ServerUnderTest;
let redis: TestClient;
const connections = useRedis({ serverUnderTest: true }, (started) => ([server, redis] = [started, started.client()]));

describe.each([true, false])('requeue with backoff (fast path: %s)', (fastPath) => {
  it('shows the action, the ceiling, requeued and deferred on the run span and as message outcomes', async () => {
    const settings = testSettings(server, {
      RECLAIM_ACTION: 'requeue',
      RETRY_BACKOFF_MAX_SEC: '900',
      MAX_DELIVERIES: '9',
    });
    const { streamName: stream, groupName: group } = settings;
    const ids = await addEntries(
      redis,
      stream,
      Array.from({ length: 5 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 5, { idleMs: 120_000, deliveries: 1 });
    // Delivered 3 times, idle 120 s: due only at 240 s.
    await setPending(redis, stream, group, 'crashed', ids.slice(0, 2), 120_000, 3);
    telemetry.reset();

    const summary = await runReclaim({ client: await connections.open(settings), settings, fastPath });

    expect(summary).toMatchObject({ requeued: 3, deferred: 2 });
    const run = telemetry.spans().find((s) => s.name === `reclaim ${stream}`) as ReadableSpan;
    expect(run.attributes).toMatchObject({
      'reclaimer.action': 'requeue',
      'reclaimer.retry_backoff_max_ms': 900_000,
      'reclaimer.requeued': 3,
      'reclaimer.deferred': 2,
    });
    const points = (await telemetry.points()).filter(
      (p) => p.name === 'reclaimer.messages' && p.attributes['messaging.destination.name'] === stream,
    );
    expect(Object.fromEntries(points.map((p) => [p.attributes['reclaimer.outcome'], p.value]))).toEqual({
      requeued: 3,
      deferred: 2,
    });
  });
});
