/** The claim stage: take ownership of idle entries, only those still idle at this instant. */
import type { PendingEntry } from './scan';
import { claimEntries } from '../redis/scripts';
import type { Claimer, SettleContext } from './stages';

export function fencedClaimer(ctx: Pick<SettleContext, 'client' | 'keys' | 'group' | 'consumer'>, minIdleMs: number): Claimer {
  const args = { group: ctx.group, consumer: ctx.consumer, minIdleMs };
  return {
    claim: async (entries: readonly PendingEntry[]) =>
      entries.length === 0 ? { claimed: [], orphaned: [], skipped: [] } : claimEntries(ctx.client, ctx.keys.stream, { ...args, ids: entries.map((e) => e.id) }),
  };
}
