/**
 * The settle stage: write-and-ack processed entries, and dead-letter-and-ack poison ones, each
 * atomically and fenced (see the scripts' headers). A dry run counts instead of writing.
 */
import type { Keys } from './keys';
import type { PendingEntry } from './scan';
import {
  deadLetter,
  settleEntries,
  type DeadLetterReason,
  type DeadLetterRequest,
  type DeadLetterStatus,
  type RedisClient,
  type Settlement,
} from './scripts';
import { traceDeadLetter } from './instrumentation';
import { deadLetterSplit, settleSplit, splitSlots } from './settle-split';

export interface SettleContext {
  client: RedisClient;
  keys: Keys;
  group: string;
  consumer: string;
  dryRun: boolean;
  now: () => number;
}

/** Longest `dlq.error` kept; a processor's message can be arbitrarily long. */
const MAX_ERROR_LENGTH = 1_000;

/** A dead-letter request for an entry the scan saw (fields of the record come from the scan). */
export function deadLetterRequest(
  scanned: PendingEntry,
  reason: DeadLetterReason,
  fence: { owner: string; deliveries: number; minIdleMs: number },
  error = '',
): DeadLetterRequest {
  return {
    id: scanned.id,
    expectOwner: fence.owner,
    expectDeliveries: fence.deliveries,
    minIdleMs: fence.minIdleMs,
    consumer: scanned.consumer,
    deliveries: scanned.deliveries,
    idleMs: scanned.idleMs,
    reason,
    error: error.slice(0, MAX_ERROR_LENGTH),
  };
}

export async function deadLetterEntries(ctx: SettleContext, requests: readonly DeadLetterRequest[]): Promise<DeadLetterStatus[]> {
  if (requests.length === 0) return [];
  if (ctx.dryRun) return requests.map(() => 'dead-lettered');
  // Cluster keys in several slots: at-least-once, record then ack (src/settle-split.ts).
  if (splitSlots(ctx)) return traceDeadLetter(ctx.keys, ctx.group, requests, () => deadLetterSplit(ctx, requests));
  return traceDeadLetter(ctx.keys, ctx.group, requests, () =>
    deadLetter(ctx.client, { stream: ctx.keys.stream, deadLetter: ctx.keys.deadLetter }, {
      group: ctx.group,
      at: ctx.now(),
      requests,
    }),
  );
}

export async function settle(ctx: SettleContext, settlements: readonly Settlement[]): Promise<boolean[]> {
  if (settlements.length === 0) return [];
  if (ctx.dryRun) return settlements.map(() => true);
  if (splitSlots(ctx)) return settleSplit(ctx, settlements);
  return settleEntries(ctx.client, ctx.keys.stream, { group: ctx.group, consumer: ctx.consumer, settlements });
}
