/** The typed wrapper of `scripts/dead-letter.lua`: the script's reply as plain objects. */
import { callScript, type Arg, type RedisClient } from './scripts';
import { DEAD_LETTER_STATUS } from './script-status';

import type { DeadLetterReason } from './record';

export type { DeadLetterReason };

export interface DeadLetterRequest {
  id: string;
  /** Fence: who must own the entry now, with which delivery count, idle at least how long. */
  expectOwner: string;
  /** Text (decimal digits) once read exactly beyond 2^53 (src/redis/exact-count.ts). */
  expectDeliveries: number | string;
  minIdleMs: number;
  /** Record: the owner and delivery count the scan saw, and its idle time then. */
  consumer: string;
  deliveries: number | string;
  idleMs: number;
  reason: DeadLetterReason;
  error: string;
}

export type DeadLetterStatus = 'dead-lettered' | 'orphaned' | 'skipped' | 'failed';

export async function deadLetter(
  client: RedisClient,
  keys: { stream: string; deadLetter: string },
  args: { group: string; at: number; requests: readonly DeadLetterRequest[] },
): Promise<(DeadLetterStatus | 'too-wide')[]> {
  const argv: Arg[] = [args.group, args.at];
  for (const r of args.requests) {
    argv.push(
      r.id,
      r.expectOwner,
      r.expectDeliveries,
      r.minIdleMs,
      r.consumer,
      r.deliveries,
      r.idleMs,
      r.reason,
      r.error,
    );
  }
  const reply = (await callScript(
    client,
    'deadLetter',
    [keys.stream, keys.deadLetter],
    argv,
  )) as (keyof typeof DEAD_LETTER_STATUS)[];
  return reply.map((s) => DEAD_LETTER_STATUS[s]);
}
