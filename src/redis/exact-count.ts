/**
 * Delivery counts as Redis has them. A count is 64-bit (`XCLAIM … RETRYCOUNT n`; Redis 8.8's
 * `XNACK … FATAL` sets 2^63 - 1), but a Lua number is a double and ioredis parses an integer
 * reply into one too (not even correctly rounded: 2^63 - 1 comes back as 9223372036854778000).
 * Beyond 2^53 neither can record a count, nor fence on it: a count the client sends back is
 * not the double Lua compares it with. So the scripts leave such entries to the client, which
 * reads their PEL rows here, on a short-lived connection that keeps integer replies as text
 * (ioredis `stringNumbers`), and fences and records with those digits.
 *
 * Rare by construction (MAX_DELIVERIES is at most 2^53 - 1, so only entries dead-lettered for
 * being far over it come here): one connection per call, closed before returning.
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from './client';

/** An entry's PEL row with its delivery count exactly as Redis replied it. */
export interface ExactPending {
  consumer: string;
  idleMs: number;
  /** Decimal digits. */
  deliveries: string;
}

/** True when `count` is a number that holds a delivery count exactly (below 2^53). */
export const isExactCount = (count: number | string): boolean => Number.isSafeInteger(Number(count));

/** A second connection like `client`, whose integer replies are strings. */
function textNumbersClient(client: RedisClient): RedisClient {
  const twin =
    client instanceof Cluster
      ? client.duplicate(undefined, { redisOptions: { ...client.options.redisOptions, stringNumbers: true } })
      : client.duplicate({ stringNumbers: true, lazyConnect: true });
  twin.on('error', () => undefined); // failures surface through the command below
  return twin;
}

/** The PEL rows of `ids` (absent: not pending), delivery counts digit for digit. */
export async function readPendingExact(
  client: RedisClient,
  stream: string,
  group: string,
  ids: readonly string[],
): Promise<Map<string, ExactPending>> {
  const found = new Map<string, ExactPending>();
  if (ids.length === 0) return found;
  const twin = textNumbersClient(client);
  try {
    for (const id of ids) {
      const rows = (await twin.call('XPENDING', stream, group, id, id, 1)) as [string, string, string, string][];
      const row = rows[0];
      if (row) found.set(id, { consumer: row[1], idleMs: Number(row[2]), deliveries: row[3] });
    }
  } finally {
    twin.disconnect();
  }
  return found;
}

/**
 * A dead-letter request whose counts are beyond what a double holds, re-based on the exact PEL
 * row: fenced and recorded with those digits. Undefined (skip it; a later run looks again) when
 * the entry is no longer pending, has another owner, is not idle enough, or its count is now
 * below 2^53 (someone reset it since the scan: it is not the entry the scan decided about).
 */
export async function exactDeadLetterRequest<R extends ExactFence>(
  client: RedisClient,
  stream: string,
  group: string,
  request: R,
): Promise<R | undefined> {
  const row = (await readPendingExact(client, stream, group, [request.id])).get(request.id);
  if (!row || row.consumer !== request.expectOwner || row.idleMs < request.minIdleMs || isExactCount(row.deliveries))
    return undefined;
  return { ...request, expectDeliveries: row.deliveries, deliveries: row.deliveries };
}

/** What re-basing reads and rewrites of a dead-letter request (src/redis/dead-letter.ts). */
export interface ExactFence {
  id: string;
  expectOwner: string;
  expectDeliveries: number | string;
  minIdleMs: number;
  deliveries: number | string;
}
