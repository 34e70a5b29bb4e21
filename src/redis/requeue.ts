/**
 * RECLAIM_ACTION=requeue off the fast path (src/redis/scripts/requeue-entries.lua), typed: one
 * fenced, atomic step per entry that appends its copy to the stream and acknowledges it.
 */
import { callScript, type RedisClient } from './scripts';
import { REQUEUE_STATUS } from './script-status';

export interface RequeueRequest {
  id: string;
  /** Fence: who must own the entry now, with which delivery count, idle at least how long. */
  expectOwner: string;
  expectDeliveries: number;
  minIdleMs: number;
  /**
   * Its own deliveries that count: the expected count, less the reclaimer's own claim on the
   * general path (handing an entry back is no delivery to a consumer), so both paths count alike.
   */
  ownDeliveries: number;
}

export type RequeueStatus = (typeof REQUEUE_STATUS)[keyof typeof REQUEUE_STATUS];

export async function requeueEntries(
  client: RedisClient,
  stream: string,
  group: string,
  requests: readonly RequeueRequest[],
): Promise<RequeueStatus[]> {
  if (requests.length === 0) return [];
  const argv: (string | number)[] = [group];
  for (const r of requests) argv.push(r.id, r.expectOwner, r.expectDeliveries, r.minIdleMs, r.ownDeliveries);
  const reply = (await callScript(client, 'requeueEntries', [stream], argv)) as (keyof typeof REQUEUE_STATUS)[];
  return reply.map((s) => REQUEUE_STATUS[s] ?? 'failed');
}
