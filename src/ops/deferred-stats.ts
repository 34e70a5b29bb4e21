/**
 * How many pending entries backoff defers now (`stats`, GET /api/status): idle at least
 * MIN_IDLE_TIME_SEC, below MAX_DELIVERIES counting earlier copies, and not yet due. Bounded on a
 * huge PEL: only the oldest DEFERRED_SAMPLE pending entries are looked at (one XPENDING range, no
 * IDLE option so 6.0 works, and one pipelined XRANGE per idle entry for its reclaim.deliveries),
 * and the reply says how many were.
 */
import type { RedisClient } from '../redis/client';
import { isDue, priorDeliveries } from '../redis/retry';
import type { Settings } from '../config/settings';

export const DEFERRED_SAMPLE = 1_000;

export interface DeferredStats {
  /** Pending entries of the sample backoff defers now; null when backoff is off. */
  deferred: number | null;
  /** How many of the oldest pending entries were looked at (0 when backoff is off). */
  deferredSample: number;
}

type Row = [string, string, number, number];

export async function deferredStats(
  client: RedisClient,
  settings: Pick<Settings, 'streamName' | 'groupName' | 'minIdleMs' | 'maxDeliveries' | 'retryBackoffMaxMs'>,
): Promise<DeferredStats> {
  const { streamName: stream, groupName: group, minIdleMs, maxDeliveries, retryBackoffMaxMs } = settings;
  if (retryBackoffMaxMs === undefined) return { deferred: null, deferredSample: 0 };
  const rows = (await client.call('XPENDING', stream, group, '-', '+', DEFERRED_SAMPLE)) as Row[];
  const idle = rows.filter(([, , idleMs]) => idleMs >= minIdleMs);
  const pipeline = client.pipeline();
  for (const [id] of idle) pipeline.xrangeBuffer(stream, id, id);
  const bodies = idle.length === 0 ? [] : ((await pipeline.exec()) ?? []);
  let deferred = 0;
  idle.forEach(([, , idleMs, own], i) => {
    const [error, found] = bodies[i] ?? [null, []];
    const entry = error ? undefined : (found as [Buffer, Buffer[]][])[0];
    if (!entry) return; // an orphan: cleared by the next run, not deferred
    const total = own + priorDeliveries(entry[1]);
    if (total < maxDeliveries && !isDue(idleMs, total, minIdleMs, retryBackoffMaxMs)) deferred++;
  });
  return { deferred, deferredSample: rows.length };
}
