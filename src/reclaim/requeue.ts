/**
 * RECLAIM_ACTION=requeue on the general path: the claimed entry is not processed here; settling it
 * appends its copy to the stream and acknowledges it in one fenced script (same fence as
 * settle-entries), so the live consumers do the work. The stream is the only key touched, so this
 * stays atomic on a cluster whose keys lie in several slots.
 */
import { requeueEntries } from '../redis/requeue';
import { requeueWide } from '../redis/wide';
import type { Processor } from './process';
import type { SettleContext, Settler } from './stages';
import type { SettleStatus } from '../redis/settle-entries';

/** Nothing to compute for a requeued entry: its settlement is ack-only, the copy is the settler's. */
export const REQUEUE_PROCESSOR: Processor = { process: async () => undefined };

export function requeueSettler(ctx: SettleContext, base: Settler): Settler {
  return {
    ...base,
    async settle(settlements) {
      // The claim that brought the entry here is not counted in the copy: see RequeueRequest.
      // A claimed entry's count is below MAX_DELIVERIES (<= 2^53 - 1): a number, exactly.
      const requests = settlements.map(({ id, deliveries }) => ({
        id,
        expectOwner: ctx.consumer,
        expectDeliveries: Number(deliveries),
        minIdleMs: 0,
        ownDeliveries: Number(deliveries) - 1,
      }));
      const statuses = await requeueEntries(ctx.client, ctx.keys.stream, ctx.group, requests);
      const out: SettleStatus[] = [];
      for (const [i, status] of statuses.entries()) {
        // Copies too long for one call from Lua: the client writes them (src/redis/wide.ts), one by one.
        const final =
          status === 'too-wide'
            ? await requeueWide(ctx.client, ctx.keys.stream, ctx.group, requests[i] as (typeof requests)[number])
            : status;
        out.push(final === 'requeued' || final === 'orphaned' || final === 'skipped' ? final : 'failed');
      }
      return out;
    },
  };
}
