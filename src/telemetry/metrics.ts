/**
 * The meter `stream-reclaimer`: instruments, created once per registered MeterProvider. The
 * gauges' figures are read by src/redis/group-health.ts. Names and units are a public contract
 * (docs/observability.md): add, never rename.
 */
import {
  createNoopMeter,
  metrics,
  type Attributes,
  type Counter,
  type Gauge,
  type Histogram,
} from '@opentelemetry/api';
import type { Counts } from '../reclaim/counts';
import type { Health } from '../redis/group-health';

/** Summary counts that are message outcomes, and their `reclaimer.outcome` value. */
export const OUTCOMES = {
  processed: 'processed',
  deadLettered: 'dead_lettered',
  orphaned: 'orphaned',
  failed: 'failed',
  skipped: 'skipped',
  requeued: 'requeued',
  deferred: 'deferred',
} as const satisfies Partial<Record<keyof Counts, string>>;

export interface Instruments {
  readonly duration: Histogram;
  countOutcomes(counts: Readonly<Counts>, base: Attributes): void;
  recordHealth(health: Health, base: Attributes): void;
}

/** Run durations from a 20 s schedule's quick runs up to a long MAX_RUN_SEC budget. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 240, 600];

// Keyed by provider: metrics.getMeter() has no proxy (unlike tracers), so instruments made before
// an SDK is registered would stay no-op forever. `null` marks the no-op provider.
const cache = new WeakMap<object, Instruments | null>();

/** The instruments of the registered MeterProvider; undefined when none is (the API's no-op). */
export function instruments(): Instruments | undefined {
  const provider = metrics.getMeterProvider();
  let found = cache.get(provider);
  if (found === undefined) {
    const meter = provider.getMeter('stream-reclaimer');
    found = meter === createNoopMeter() ? null : create(meter);
    cache.set(provider, found);
  }
  return found ?? undefined;
}

function create(meter: ReturnType<typeof metrics.getMeter>): Instruments {
  const messages: Counter = meter.createCounter('reclaimer.messages', {
    description: 'Pending entries handled by the reclaimer, by outcome (reclaimer.outcome)',
    unit: '{message}',
  });
  const duration = meter.createHistogram('reclaimer.run.duration', {
    description: 'Duration of one run',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const gauge = (name: string, description: string, unit: string): Gauge =>
    meter.createGauge(name, { description, unit });
  const pending = gauge(
    'reclaimer.group.pending',
    "Size of the group's pending entries list, read at the end of each run",
    '{message}',
  );
  const oldest = gauge(
    'reclaimer.group.oldest_pending_idle',
    'Idle time of the oldest pending entry (0 when none), read at the end of each run',
    's',
  );
  const deadLetters = gauge(
    'reclaimer.dead_letter.length',
    'Records in the dead-letter stream, read at the end of each run',
    '{message}',
  );
  const consumers = gauge(
    'reclaimer.group.consumers',
    'Consumers of the group, read at the end of each run',
    '{consumer}',
  );
  return {
    duration,
    countOutcomes(counts, base) {
      for (const [field, outcome] of Object.entries(OUTCOMES)) {
        const n = counts[field as keyof typeof OUTCOMES];
        if (n > 0) messages.add(n, { ...base, 'reclaimer.outcome': outcome });
      }
    },
    recordHealth(health, base) {
      pending.record(health.pending, base);
      oldest.record(health.oldestIdleMs / 1000, base);
      deadLetters.record(health.deadLetters, base);
      consumers.record(health.consumers, base);
    },
  };
}
