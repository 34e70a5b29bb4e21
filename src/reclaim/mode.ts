/**
 * How a run settles, decided once, here, from the settings, the processor and the keys; the
 * stages are then handed small stage objects and never test a mode flag again.
 * - `fast`: the built-in hash writer, keys in one slot (or one server): one script scans and
 *   settles each page (src/reclaim/fast-path.ts).
 * - `atomic`: any processor; each write is atomic with its ack (src/reclaim/settle.ts).
 * - `split`: a cluster, or one endpoint that shards (src/reclaim/slots.ts), whose keys lie in
 *   several slots: write, then a fenced ack; at-least-once (src/reclaim/settle-split.ts).
 * - `dry-run`: reads and counts, writes nothing (src/reclaim/dry-run.ts).
 */
import { fencedClaimer } from './claim';
import { REQUEUE_PROCESSOR, requeueSettler } from './requeue';
import type { RetryPolicy } from './retry-policy';
import { dryRunStages } from './dry-run';
import type { Processor } from './process';
import { atomicSettler } from './settle';
import { splitSettler } from './settle-split';
import type { SettleContext, Stages } from './stages';

export type SettlingMode = 'fast' | 'atomic' | 'split' | 'dry-run';

export interface ModeInputs {
  dryRun: boolean;
  /** A Redis Cluster or an endpoint that shards (scripts may touch one slot only). */
  cluster: boolean;
  /** The stream, the dead-letter stream and every hash key share one hash tag (src/redis/keys.ts). */
  sameSlot: boolean;
  /** The processor is the built-in hash writer, and the caller did not turn the fast path off. */
  fastPathAllowed: boolean;
}

export function chooseMode({ dryRun, cluster, sameSlot, fastPathAllowed }: ModeInputs): SettlingMode {
  if (dryRun) return 'dry-run';
  const oneSlot = sameSlot || !cluster;
  if (fastPathAllowed && oneSlot) return 'fast';
  return oneSlot ? 'atomic' : 'split';
}

/** The general path's stages for a mode (the fast path has none: its script is all of them). */
export function stagesFor(
  mode: Exclude<SettlingMode, 'fast'>,
  ctx: SettleContext,
  options: { policy: RetryPolicy; processor: Processor },
): Stages {
  const { policy } = options;
  if (mode === 'dry-run') return dryRunStages(ctx, policy);
  const base = mode === 'split' ? splitSettler(ctx, policy.minIdleMs) : atomicSettler(ctx, policy.minIdleMs);
  // requeue: a copy back to the consumers instead of processing (src/reclaim/requeue.ts).
  const requeue = policy.action === 'requeue';
  return {
    claimer: fencedClaimer(ctx, policy),
    processor: requeue ? REQUEUE_PROCESSOR : options.processor,
    settler: requeue ? requeueSettler(ctx, base) : base,
  };
}
