/**
 * The retry policy of a run (docs/design.md, "Retry policy"), read once from the settings: when an
 * entry is due, when it is dead-lettered, and what a reclaimed entry gets.
 */
import type { ReclaimAction, Settings } from '../config/settings';

export interface RetryPolicy {
  readonly minIdleMs: number;
  readonly maxDeliveries: number;
  /** Backoff ceiling, ms; undefined = off. */
  readonly backoffMaxMs: number | undefined;
  readonly action: ReclaimAction;
}

export function retryPolicy(
  settings: Pick<Settings, 'minIdleMs' | 'maxDeliveries' | 'retryBackoffMaxMs' | 'reclaimAction'>,
): RetryPolicy {
  return {
    minIdleMs: settings.minIdleMs,
    maxDeliveries: settings.maxDeliveries,
    backoffMaxMs: settings.retryBackoffMaxMs,
    action: settings.reclaimAction ?? 'process',
  };
}
