/**
 * The dead-letter record's metadata (docs/design.md, "Dead-letter record"): nine pairs after the
 * original fields, always these, in this order. The scripts build the same layout from
 * src/redis/scripts/lib/record.lua; this is the client's one builder (split and wide paths) and
 * its one parser (dlq, stats, the demo's report).
 */
export const RECORD_META_FIELDS = [
  'dlq.stream',
  'dlq.id',
  'dlq.group',
  'dlq.consumer',
  'dlq.deliveries',
  'dlq.idle_ms',
  'dlq.reason',
  'dlq.error',
  'dlq.at',
] as const;

/** The values `dlq.reason` takes (docs/design.md, "Dead-letter record"). */
export const DEAD_LETTER_REASONS = ['max-deliveries', 'missing-key-field', 'processing-error'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export interface RecordMeta {
  stream: string;
  id: string;
  group: string;
  consumer: string | Buffer;
  /** A string where the count is beyond 2^53 (src/redis/exact-count.ts): written digit for digit. */
  deliveries: number | string;
  idleMs: number;
  reason: string;
  error: string | Buffer;
  at: number;
}

/** The nine name/value pairs, flat, ready to follow the original fields in an XADD. */
export function recordMeta(m: RecordMeta): (string | Buffer)[] {
  const values = [
    m.stream,
    m.id,
    m.group,
    m.consumer,
    String(m.deliveries),
    String(m.idleMs),
    m.reason,
    m.error,
    String(m.at),
  ];
  return RECORD_META_FIELDS.flatMap((name, i) => [name, values[i] as string | Buffer]);
}

/** Field names and values of the metadata block: nine pairs. */
const META_ITEMS = RECORD_META_FIELDS.length * 2;

export interface DeadLetterRecord {
  /** ID of the record in the dead-letter stream. */
  readonly id: string;
  readonly sourceStream: string;
  readonly sourceId: string;
  readonly group: string;
  /** Last owner as the scan saw it; consumer names are binary-safe. */
  readonly consumer: Buffer;
  /** The recorded count as a number: exact up to 2^53 - 1, rounded beyond (see `deliveriesText`). */
  readonly deliveries: number;
  /** The recorded count exactly as written (any 64-bit count, digit for digit). */
  readonly deliveriesText: string;
  readonly idleMs: number;
  readonly reason: string;
  readonly error: Buffer;
  /** Epoch ms when it was dead-lettered. */
  readonly at: number;
  /** Original field names and values, alternating, in order, binary-safe. */
  readonly fields: readonly Buffer[];
}

/** Parses one dead-letter stream entry; undefined when it is not a record of this layout. */
export function parseRecord(id: string, items: readonly Buffer[]): DeadLetterRecord | undefined {
  const first = items.length - META_ITEMS;
  if (first < 2 || items.length % 2 !== 0) return undefined;
  const meta: string[] = [];
  for (const [k, name] of RECORD_META_FIELDS.entries()) {
    if (items[first + 2 * k]?.toString() !== name) return undefined;
    meta.push(items[first + 2 * k + 1]?.toString() ?? '');
  }
  const value = (k: number): Buffer => items[first + 2 * k + 1] as Buffer;
  return {
    id,
    sourceStream: meta[0] ?? '',
    sourceId: meta[1] ?? '',
    group: meta[2] ?? '',
    consumer: value(3),
    deliveries: Number(meta[4]),
    deliveriesText: meta[4] ?? '',
    idleMs: Number(meta[5]),
    reason: meta[6] ?? '',
    error: value(7),
    at: Number(meta[8]),
    fields: items.slice(0, first),
  };
}
