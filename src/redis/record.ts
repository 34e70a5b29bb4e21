/**
 * The dead-letter record's metadata (docs/design.md, "Dead-letter record"): nine pairs after the
 * original fields, always these, in this order. The scripts build the same layout from
 * src/redis/scripts/lib/record.lua; this is the client's one builder (split and wide paths).
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

export interface RecordMeta {
  stream: string;
  id: string;
  group: string;
  consumer: string | Buffer;
  deliveries: number;
  idleMs: number;
  reason: string;
  error: string | Buffer;
  at: number;
}

/** The nine name/value pairs, flat, ready to follow the original fields in an XADD. */
export function recordMeta(m: RecordMeta): (string | Buffer)[] {
  const values = [m.stream, m.id, m.group, m.consumer, String(m.deliveries), String(m.idleMs), m.reason, m.error, String(m.at)];
  return RECORD_META_FIELDS.flatMap((name, i) => [name, values[i] as string | Buffer]);
}
