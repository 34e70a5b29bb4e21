/** Reads dead-letter records back: original fields, then the nine dlq.* metadata fields. */
import type { Cluster, Redis as Single } from 'ioredis';

/** A plain server's client, or a Cluster client on a cluster target. */
type Redis = Single | Cluster;

export const DLQ_META = [
  'dlq.stream',
  'dlq.id',
  'dlq.group',
  'dlq.consumer',
  'dlq.deliveries',
  'dlq.idle_ms',
  'dlq.reason',
  'dlq.error',
  'dlq.at',
];

export interface DeadLetterRecord {
  recordId: string;
  original: Buffer[];
  meta: Record<string, string>;
}

export async function readDeadLetters(redis: Redis, dlq: string): Promise<DeadLetterRecord[]> {
  const rows = (await redis.xrangeBuffer(dlq, '-', '+')) as [Buffer, Buffer[]][];
  return rows.map(([id, fields]) => {
    const metaFields = fields.slice(fields.length - 18);
    const meta: Record<string, string> = {};
    for (let i = 0; i < 18; i += 2) meta[String(metaFields[i])] = String(metaFields[i + 1]);
    return { recordId: String(id), original: fields.slice(0, fields.length - 18), meta };
  });
}
