/**
 * The general path's stages as small objects, one per step. The settling mode is decided once
 * (src/reclaim/mode.ts), which hands the page stage one claimer, one processor and one settler;
 * no stage asks again which mode it is in.
 */
import type { Keys } from '../redis/keys';
import type { RedisClient } from '../redis/client';
import type { DeadLetterReason, DeadLetterRequest, DeadLetterStatus } from '../redis/dead-letter';
import type { SettleStatus, Settlement } from '../redis/settle-entries';
import type { ClaimReply } from '../redis/claim-entries';
import { traceDeadLetter } from '../telemetry/instrumentation';
import type { Processor } from './process';
import type { PendingEntry } from './scan';

/** What every settler needs: where, as whom, and the clock that stamps `dlq.at`. */
export interface SettleContext {
  client: RedisClient;
  keys: Keys;
  group: string;
  consumer: string;
  now: () => number;
}

export interface Claimer {
  /** Takes ownership of idle entries (only those still idle at this instant), or previews it. */
  claim(entries: readonly PendingEntry[]): Promise<ClaimReply>;
}

export interface Settler {
  /** Dead-letters entries straight from the scan (over the delivery limit), fenced on the scan's view. */
  deadLetterScanned(entries: readonly PendingEntry[]): Promise<DeadLetterStatus[]>;
  /** Dead-letters and acks, each fenced as its request says. */
  deadLetter(requests: readonly DeadLetterRequest[]): Promise<DeadLetterStatus[]>;
  /** Writes each processed entry's hash and acks it, fenced on this run's claim. */
  settle(settlements: readonly Settlement[]): Promise<SettleStatus[]>;
}

export interface Stages {
  claimer: Claimer;
  processor: Processor;
  settler: Settler;
}

/** Longest `dlq.error` kept; a processor's message can be arbitrarily long. */
const MAX_ERROR_LENGTH = 1_000;

/** A dead-letter request for an entry the scan saw (fields of the record come from the scan). */
export function deadLetterRequest(
  scanned: PendingEntry,
  reason: DeadLetterReason,
  fence: { owner: string; deliveries: number | string; minIdleMs: number },
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

/** The writes a settler makes; `writingSettler` adds what every writing mode shares. */
export interface SettleWrites {
  deadLetter(requests: readonly DeadLetterRequest[]): Promise<DeadLetterStatus[]>;
  settle(settlements: readonly Settlement[]): Promise<SettleStatus[]>;
}

/**
 * A settler that writes (atomic or split): empty calls send nothing, every dead-letter call is
 * traced, and over-delivered entries are fenced on the owner, count and idleness the scan saw.
 */
export function writingSettler(ctx: SettleContext, minIdleMs: number, writes: SettleWrites): Settler {
  const deadLetter = async (requests: readonly DeadLetterRequest[]): Promise<DeadLetterStatus[]> =>
    requests.length === 0 ? [] : traceDeadLetter(ctx.keys, ctx.group, requests, () => writes.deadLetter(requests));
  return {
    deadLetterScanned: (entries) =>
      deadLetter(
        entries.map((e) =>
          deadLetterRequest(e, 'max-deliveries', { owner: e.consumer, deliveries: e.deliveries, minIdleMs }),
        ),
      ),
    deadLetter,
    settle: async (settlements) => (settlements.length === 0 ? [] : writes.settle(settlements)),
  };
}
