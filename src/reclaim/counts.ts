/**
 * The counts of a run (the summary's outcome fields), in a leaf module: the stages add to them,
 * telemetry reads them, and neither has to import the other for it.
 */
import type { DeadLetterStatus } from '../redis/dead-letter';

export interface Counts {
  scanned: number;
  claimed: number;
  processed: number;
  deadLettered: number;
  orphaned: number;
  failed: number;
  skipped: number;
  /** Idle entries not yet due under backoff (RETRY_BACKOFF_MAX_SEC): left untouched. */
  deferred: number;
  /** Copies appended to the stream for the live consumers, originals acknowledged (RECLAIM_ACTION=requeue). */
  requeued: number;
}

export const zeroCounts = (): Counts => ({
  scanned: 0,
  claimed: 0,
  processed: 0,
  deadLettered: 0,
  orphaned: 0,
  failed: 0,
  skipped: 0,
  deferred: 0,
  requeued: 0,
});

/** Adds dead-letter outcomes to the counts. */
export function tally(counts: Counts, statuses: readonly (DeadLetterStatus | 'requeued')[]): void {
  for (const s of statuses) {
    if (s === 'dead-lettered') counts.deadLettered++;
    else if (s === 'requeued') counts.requeued++;
    else if (s === 'orphaned') counts.orphaned++;
    else if (s === 'failed') counts.failed++;
    else counts.skipped++;
  }
}
