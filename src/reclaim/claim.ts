/** The claim stage: take ownership of idle entries, only those still idle and due at this instant. */
import type { PendingEntry } from './scan';
import { claimEntries, emptyClaim } from '../redis/claim-entries';
import type { Claimer, SettleContext } from './stages';
import type { RetryPolicy } from './retry-policy';

export function fencedClaimer(
  ctx: Pick<SettleContext, 'client' | 'keys' | 'group' | 'consumer'>,
  policy: RetryPolicy,
): Claimer {
  const args = {
    group: ctx.group,
    consumer: ctx.consumer,
    minIdleMs: policy.minIdleMs,
    maxDeliveries: policy.maxDeliveries,
    backoffMaxMs: policy.backoffMaxMs,
    // dead-letter-only claims nothing: the script still clears orphans and reports the over-delivered.
    claim: policy.action !== 'dead-letter-only',
  };
  return {
    claim: async (entries: readonly PendingEntry[]) =>
      entries.length === 0
        ? emptyClaim()
        : claimEntries(ctx.client, ctx.keys.stream, { ...args, ids: entries.map((e) => e.id) }),
  };
}
