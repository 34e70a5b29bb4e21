/**
 * Traces and metrics of a run, through `@opentelemetry/api` only: whoever embeds the core (the
 * function app, the CLI with `--otlp`, a test) registers an SDK; without one every call here is
 * the API's no-op. Names, attributes and units are documented in docs/observability.md.
 *
 * Attributes carry names (stream, group), counts and error class names only: never a field value
 * of a message, an entry ID or a secret. Exception messages are redacted of the run's secrets.
 */
import { context, SpanKind, type Attributes, type Span } from '@opentelemetry/api';
import type { Counts } from '../reclaim/counts';
import { instruments, type Instruments } from './metrics';
import { readHealth } from '../redis/group-health';
import type { RedisClient } from '../redis/scripts';
import type { Settings } from '../config/settings';
import { countAttributes, errorType, inSpan, instrumentationEnabled, messagingAttributes, SECRETS } from './spans';

export {
  countAttributes,
  errorType,
  messagingAttributes,
  recordError,
  SCOPE,
  setInstrumentationEnabled,
} from './spans';

/** Per-run hooks handed to the run loop. */
export interface RunTelemetry {
  /** Runs one page under a page span; `work` counts into its own fresh counts, merged afterwards. */
  page(size: number, shared: Counts, work: (counts: Counts) => Promise<void>): Promise<void>;
}

/** The minimal result the run wrapper reads (run.ts `Summary`). */
export interface RunResult {
  readonly durationMs: number;
  readonly complete: boolean;
  /** run.ts's `StopReason`: a word from a fixed set. */
  readonly stopReason: string;
}

const PASSTHROUGH: RunTelemetry = Object.freeze({
  page: (_size: number, shared: Counts, work: (c: Counts) => Promise<void>) => work(shared),
});

type Target = Pick<
  Settings,
  'streamName' | 'groupName' | 'deadLetterStream' | 'dryRun' | 'redisPassword' | 'appInsightsConnectionString'
> &
  Partial<Pick<Settings, 'reclaimAction' | 'retryBackoffMaxMs'>>;

/**
 * The run span `reclaim <stream>`, the run duration histogram, the outcome counters (per page,
 * so a run that fails midway still counts what it did), and the group-health gauges read at the end.
 */
export async function instrumentRun<R extends RunResult>(
  client: RedisClient,
  settings: Target,
  work: (telemetry: RunTelemetry) => Promise<R>,
): Promise<R> {
  if (!instrumentationEnabled()) return work(PASSTHROUGH);
  const base = messagingAttributes(settings.streamName, settings.groupName);
  const meters = instruments();
  const totals: Record<string, number> = {};
  const started = performance.now();
  const telemetry: RunTelemetry = {
    // The last page of a scan may be empty: no span for a page with nothing in it.
    page: (size, shared, pageWork) =>
      size === 0 ? pageWork(shared) : tracePage(base, meters, settings.dryRun, size, [shared, totals], pageWork),
  };
  const secrets = [settings.redisPassword, settings.appInsightsConnectionString];
  const attributes = {
    ...base,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'reclaim',
    'reclaimer.dry_run': settings.dryRun,
    // A word from a fixed set (RECLAIM_ACTION), like stop_reason; the backoff ceiling only when on.
    'reclaimer.action': settings.reclaimAction ?? 'process',
    ...(settings.retryBackoffMaxMs === undefined
      ? {}
      : { 'reclaimer.retry_backoff_max_ms': settings.retryBackoffMaxMs }),
  };
  return context.with(context.active().setValue(SECRETS, secrets), () =>
    inSpan(`reclaim ${settings.streamName}`, SpanKind.INTERNAL, attributes, async (span) => {
      let result: R;
      try {
        // No SDK (a non-recording span, no meter): the pages skip the wrapper entirely.
        result = await work(span.isRecording() || meters ? telemetry : PASSTHROUGH);
      } catch (error) {
        span.setAttributes(countAttributes(totals));
        meters?.duration.record((performance.now() - started) / 1000, { ...base, 'error.type': errorType(error) });
        throw error;
      }
      span.setAttributes(countAttributes(result));
      // A word from a fixed set, so it may be a string attribute (countAttributes takes no strings).
      span.setAttribute('reclaimer.stop_reason', result.stopReason);
      meters?.duration.record(result.durationMs / 1000, { ...base, 'reclaimer.complete': result.complete });
      if (meters) await recordHealth(client, settings, meters, base, span);
      return result;
    }),
  );
}

async function tracePage(
  base: Attributes,
  meters: Instruments | undefined,
  dryRun: boolean,
  size: number,
  sinks: readonly [Counts, Record<string, number>],
  work: (counts: Counts) => Promise<void>,
): Promise<void> {
  const attributes = {
    ...base,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.batch.message_count': size,
  };
  // INTERNAL, not the semconv CONSUMER: Azure Monitor turns a CONSUMER span without HTTP
  // attributes into a request with no name; INTERNAL keeps `process <stream>` readable in the tree.
  await inSpan(`process ${String(base['messaging.destination.name'])}`, SpanKind.INTERNAL, attributes, async (span) => {
    // A fresh tally per page: pages in flight share the run's counts, so a before/after
    // difference of the shared object would mix them up.
    const own = Object.fromEntries(Object.keys(sinks[0]).map((k) => [k, 0])) as unknown as Counts;
    try {
      await work(own);
    } finally {
      for (const sink of sinks)
        for (const [k, v] of Object.entries(own) as [string, number][])
          (sink as Record<string, number>)[k] = ((sink as Record<string, number>)[k] ?? 0) + v;
      span.setAttributes(countAttributes(own));
      // The fast path learns its page's size only from the script's reply.
      span.setAttribute('messaging.batch.message_count', own.scanned);
      // A dry run changes nothing, so it counts no message outcome (its spans still carry the counts).
      if (meters && !dryRun) meters.countOutcomes(own, base);
    }
  });
}

async function recordHealth(
  client: RedisClient,
  settings: Target,
  meters: Instruments,
  base: Attributes,
  span: Span,
): Promise<void> {
  try {
    meters.recordHealth(await readHealth(client, settings), base);
  } catch (error) {
    // The run itself succeeded; a failed health read only leaves the gauges at their last value.
    span.addEvent('reclaimer.health_unavailable', { 'error.type': errorType(error) });
  }
}

/** The span `dead_letter <dead-letter stream>` around one dead-letter call (settle.ts). */
export async function traceDeadLetter<S extends string>(
  keys: { stream: string; deadLetter: string },
  group: string,
  requests: readonly { reason: string }[],
  send: () => Promise<S[]>,
): Promise<S[]> {
  if (!instrumentationEnabled()) return send();
  const attributes: Attributes = {
    ...messagingAttributes(keys.deadLetter, group),
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'dead_letter',
    'messaging.batch.message_count': requests.length,
    'reclaimer.source_stream': keys.stream,
    'reclaimer.dead_letter.reasons': [...new Set(requests.map((r) => r.reason))].sort(),
  };
  return inSpan(`dead_letter ${keys.deadLetter}`, SpanKind.PRODUCER, attributes, async (span) => {
    const statuses = await send();
    const tally: Record<string, number> = { dead_lettered: 0, orphaned: 0, skipped: 0 };
    for (const s of statuses) {
      const key = s.replace(/-/g, '_');
      tally[key] = (tally[key] ?? 0) + 1;
    }
    for (const [k, v] of Object.entries(tally)) span.setAttribute(`reclaimer.${k}`, v);
    return statuses;
  });
}
