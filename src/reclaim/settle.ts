/**
 * Atomic settling: write-and-ack processed entries, and dead-letter-and-ack poison ones, each
 * atomically and fenced (see the scripts' headers). The mode of every run whose keys share one
 * slot (src/reclaim/mode.ts).
 */
import { deadLetter, type DeadLetterRequest, type DeadLetterStatus } from '../redis/dead-letter';
import { settleEntries } from '../redis/settle-entries';
import { deadLetterWide } from '../redis/wide';
import { writingSettler, type SettleContext, type Settler } from './stages';

export function atomicSettler(ctx: SettleContext, minIdleMs: number): Settler {
  return writingSettler(ctx, minIdleMs, {
    async deadLetter(requests) {
      const keys = { stream: ctx.keys.stream, deadLetter: ctx.keys.deadLetter };
      const at = ctx.now();
      const statuses = await deadLetter(ctx.client, keys, { group: ctx.group, at, requests });
      // Records too long for one call from Lua: the client writes them (src/redis/wide.ts), one by one.
      const out: DeadLetterStatus[] = [];
      for (const [i, status] of statuses.entries()) {
        out.push(
          status === 'too-wide'
            ? await deadLetterWide(ctx.client, keys, ctx.group, requests[i] as DeadLetterRequest, at)
            : status,
        );
      }
      return out;
    },
    settle: (settlements) =>
      settleEntries(ctx.client, ctx.keys.stream, { group: ctx.group, consumer: ctx.consumer, settlements }),
  });
}
