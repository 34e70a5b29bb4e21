/** The typed wrapper of `scripts/settle-entries.lua`: the script's reply as plain objects. */
import { callScript, type Arg, type RedisClient } from './scripts';
import { SETTLE_STATUS } from './script-status';

export interface Settlement {
  id: string;
  /** Delivery count the claim produced (text: read exactly beyond 2^53, src/redis/exact-count.ts). */
  deliveries: number | string;
  /** Hash to write with the ack; none means ack only. */
  hash?: { key: Buffer; fields: readonly Buffer[] };
}

/**
 * Per settlement: written and acked, fenced out (skipped), its hash key holds another type
 * (nothing written; the caller dead-letters it), or failed after the script's first write;
 * with RECLAIM_ACTION=requeue, requeued or orphaned (src/reclaim/requeue.ts).
 */
export type SettleStatus = 'settled' | 'skipped' | { hashError: string } | 'failed' | 'requeued' | 'orphaned';

export async function settleEntries(
  client: RedisClient,
  stream: string,
  args: { group: string; consumer: string; settlements: readonly Settlement[] },
): Promise<SettleStatus[]> {
  const keys: Buffer[] = [];
  const argv: Arg[] = [args.group, args.consumer];
  for (const s of args.settlements) {
    if (s.hash) keys.push(s.hash.key);
    argv.push(s.id, s.deliveries, s.hash ? keys.length + 1 : 0, s.hash?.fields.length ?? 0, ...(s.hash?.fields ?? []));
  }
  const [statuses, errors] = (await callScript(client, 'settleEntries', [stream, ...keys], argv)) as [
    number[],
    Buffer[],
  ];
  return statuses.map(
    (status, i) => SETTLE_STATUS[status as keyof typeof SETTLE_STATUS] ?? { hashError: String(errors[i]) },
  );
}
