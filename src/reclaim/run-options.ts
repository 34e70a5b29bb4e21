/**
 * What a run is given and what it answers: the options of `runReclaim` (one target) and of a
 * target's turn in `runTargets`, and the summary. Types only, apart from run.ts so it stays short.
 */
import type { RunTarget } from '../config/run-target';
import type { Settings } from '../config/settings';
import type { RedisClient } from '../redis/client';
import type { Logger } from '../telemetry/logger';
import type { Counts } from './counts';
import type { Processor } from './process';
import type { StopReason } from './stop';

export interface Summary extends Counts {
  stream: string;
  group: string;
  deregistered: number;
  durationMs: number;
  complete: boolean;
  /** Why the run stopped: `covered` exactly when `complete`; else `budget` or `interrupted`. */
  stopReason: StopReason;
  dryRun: boolean;
}

export interface RunOptions {
  client: RedisClient;
  settings: Settings;
  /** @default the hash writer (`HSET <HASH_KEY_PREFIX><key> <fields…>`, atomic with the ack) */
  processor?: Processor;
  /** Clock in epoch ms; tests inject one to spend the budget deterministically. @default Date.now */
  now?: () => number;
  /** @default no logging */
  logger?: Logger;
  /** Called after each page is settled, with the counts so far (progress display). */
  onProgress?: (counts: Readonly<Counts>) => void;
  /** Stops starting new pages (like a spent budget, but reported as `interrupted`); work in flight finishes. */
  signal?: AbortSignal;
  /**
   * Let the hash writer settle whole pages server-side. It is used only with
   * the built-in hash writer, outside dry runs, and on a cluster only when the keys share a slot.
   * @default true
   */
  fastPath?: boolean;
  /**
   * The stream × group this run works on, with the keys it writes; the settings' own single
   * target by default. `runTargets` hands each target's turn its own.
   */
  target?: RunTarget;
  /** When no new page may start (epoch ms, on `now`'s clock); the run's start + `MAX_RUN_SEC` by default. */
  deadline?: number;
}

/** Where a target's turn starts and ends, so a later turn of the same run resumes after the earlier one. */
export interface TurnCursor {
  /** The last pending ID covered so far: a turn starts after it, and moves it on. */
  after?: string;
}

/** A run as one turn of a target (src/reclaim/run-targets.ts): a RunOptions with where to resume. */
export interface TurnOptions extends RunOptions {
  cursor?: TurnCursor;
}
