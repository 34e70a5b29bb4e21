/**
 * The claim stage: take ownership of idle entries (only those still idle at this instant), or,
 * in a dry run, look at what a claim would find without changing anything.
 */
import type { PendingEntry } from './scan';
import { claimEntries, type ClaimReply, type RedisClient } from '../redis/scripts';

export interface ClaimArgs {
  stream: string;
  group: string;
  consumer: string;
  minIdleMs: number;
}

export function claim(client: RedisClient, args: ClaimArgs, entries: readonly PendingEntry[]): Promise<ClaimReply> {
  if (entries.length === 0) return Promise.resolve({ claimed: [], orphaned: [], skipped: [] });
  return claimEntries(client, args.stream, { ...args, ids: entries.map((e) => e.id) });
}

/**
 * Dry run: reads each entry (XRANGE, read-only) and reports what a claim would return; the
 * delivery count shown is the one a claim would produce.
 */
export async function previewClaim(client: RedisClient, stream: string, entries: readonly PendingEntry[]): Promise<ClaimReply> {
  const reply: ClaimReply = { claimed: [], orphaned: [], skipped: [] };
  if (entries.length === 0) return reply;
  const pipeline = client.pipeline();
  for (const e of entries) pipeline.xrangeBuffer(stream, e.id, e.id);
  const results = (await pipeline.exec()) ?? [];
  entries.forEach((e, i) => {
    const [error, rows] = results[i] ?? [new Error('no reply')];
    if (error) throw error;
    const row = (rows as [Buffer, Buffer[]][])[0];
    if (row) reply.claimed.push({ id: e.id, deliveries: e.deliveries + 1, fields: row[1] });
    else reply.orphaned.push(e.id);
  });
  return reply;
}
