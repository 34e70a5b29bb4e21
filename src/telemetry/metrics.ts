/**
 * The meter `stream-reclaimer`: instruments, created once per registered MeterProvider, and the
 * group-health reading behind the gauges. Names and units are a public contract
 * (docs/observability.md): add, never rename.
 */
import { createNoopMeter, metrics, type Attributes, type Counter, type Gauge, type Histogram } from '@opentelemetry/api';
import type { Counts } from '../reclaim/counts';
import type { RedisClient } from '../redis/scripts';
import type { Settings } from '../config/settings';

/** Summary counts that are message outcomes, and their `reclaimer.outcome` value. */
export const OUTCOMES = {
  processed: 'processed',
  deadLettered: 'dead_lettered',
  orphaned: 'orphaned',
  failed: 'failed',
  skipped: 'skipped',
} as const satisfies Partial<Record<keyof Counts, string>>;

export interface Health {
  /** Size of the group's PEL. */
  pending: number;
  /** Idle time of the oldest pending entry in ms; 0 when nothing is pending. */
  oldestIdleMs: number;
  /** Records in the dead-letter stream. */
  deadLetters: number;
  /** Consumers of the group (the reclaimer's own included). */
  consumers: number;
}

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
  const gauge = (name: string, description: string, unit: string): Gauge => meter.createGauge(name, { description, unit });
  const pending = gauge('reclaimer.group.pending', "Size of the group's pending entries list, read at the end of each run", '{message}');
  const oldest = gauge('reclaimer.group.oldest_pending_idle', 'Idle time of the oldest pending entry (0 when none), read at the end of each run', 's');
  const deadLetters = gauge('reclaimer.dead_letter.length', 'Records in the dead-letter stream, read at the end of each run', '{message}');
  const consumers = gauge('reclaimer.group.consumers', 'Consumers of the group, read at the end of each run', '{consumer}');
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

type Flat = (string | number | null | Flat)[];

/** RESP2 map (flat name/value list) to a lookup; names sit at even positions only. */
function pairs(row: Flat): Map<string, Flat[number]> {
  const map = new Map<string, Flat[number]>();
  for (let i = 0; i + 1 < row.length; i += 2) map.set(String(row[i]), row[i + 1] as Flat[number]);
  return map;
}

/**
 * Four cheap reads, sent together: XINFO GROUPS (PEL size, consumers), the XPENDING summary (the
 * oldest ID), a one-entry XPENDING range for its idle time (no IDLE option: Redis 6.0 works), and
 * XLEN of the dead-letter stream. Nothing scans the PEL or a stream.
 */
export async function readHealth(client: RedisClient, s: Pick<Settings, 'streamName' | 'groupName' | 'deadLetterStream'>): Promise<Health> {
  const [groups, summary, deadLetters] = await Promise.all([
    client.call('XINFO', 'GROUPS', s.streamName) as Promise<Flat[]>,
    client.call('XPENDING', s.streamName, s.groupName) as Promise<[number, string | null, ...unknown[]]>,
    client.xlen(s.deadLetterStream),
  ]);
  const group = groups.map(pairs).find((g) => String(g.get('name')) === s.groupName);
  const field = (name: string): number => Number(group?.get(name) ?? 0) || 0;
  const oldestId = summary[1];
  // The oldest entry may be acked between the two reads: then it counts as 0 (nothing left of it).
  const oldest = oldestId ? ((await client.call('XPENDING', s.streamName, s.groupName, oldestId, oldestId, 1)) as [string, string, number, number][])[0] : undefined;
  return { pending: field('pending'), oldestIdleMs: oldest ? Number(oldest[2]) : 0, deadLetters, consumers: field('consumers') };
}
