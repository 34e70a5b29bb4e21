/**
 * The settle stage: write-and-ack processed entries, and dead-letter-and-ack poison ones, each
 * atomically and fenced (see the scripts' headers). A dry run counts instead of writing.
 */
import type { Keys } from '../redis/keys';
import type { PendingEntry } from './scan';
import {
  deadLetter,
  settleEntries,
  type DeadLetterReason,
  type DeadLetterRequest,
  type DeadLetterStatus,
  type RedisClient,
  type SettleStatus,
  type Settlement,
} from '../redis/scripts';
import { deadLetterWide } from '../redis/wide';
import { traceDeadLetter } from '../telemetry/instrumentation';
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
  // Cluster keys in several slots: at-least-once, record then ack (src/reclaim/settle-split.ts).
  if (splitSlots(ctx)) return traceDeadLetter(ctx.keys, ctx.group, requests, () => deadLetterSplit(ctx, requests));
  return traceDeadLetter(ctx.keys, ctx.group, requests, async () => {
    const keys = { stream: ctx.keys.stream, deadLetter: ctx.keys.deadLetter };
    const at = ctx.now();
    const statuses = await deadLetter(ctx.client, keys, { group: ctx.group, at, requests });
    // Records too long for one call from Lua: the client writes them (src/redis/wide.ts), one by one.
    const out: DeadLetterStatus[] = [];
    for (const [i, status] of statuses.entries()) {
      out.push(status === 'too-wide' ? await deadLetterWide(ctx.client, keys, ctx.group, requests[i] as DeadLetterRequest, at) : status);
    }
    return out;
  });
}

export async function settle(ctx: SettleContext, settlements: readonly Settlement[]): Promise<SettleStatus[]> {
  if (settlements.length === 0) return [];
  if (ctx.dryRun) return settlements.map(() => 'settled');
  if (splitSlots(ctx)) return settleSplit(ctx, settlements);
  return settleEntries(ctx.client, ctx.keys.stream, { group: ctx.group, consumer: ctx.consumer, settlements });
}
