/**
 * The status codes the Lua scripts (src/redis/scripts/) reply with, by name: one table per
 * script, read by the typed wrappers (scripts.ts, wide.ts). A code missing from a table is
 * handled where the table is read.
 */

/** settle-entries.lua; 3 (the hash key holds another type) carries its error instead. */
export const SETTLE_STATUS = { 0: 'skipped', 1: 'settled', 4: 'failed' } as const;

/** dead-letter.lua. `too-wide`: left pending for the MULTI of src/redis/wide.ts. */
export const DEAD_LETTER_STATUS = {
  0: 'skipped',
  1: 'dead-lettered',
  2: 'orphaned',
  3: 'too-wide',
  4: 'failed',
} as const;

/** requeue-entries.lua and requeue-commit.lua (the commit's -1, COMMIT_WRITE_FAILED, aside). */
export const REQUEUE_STATUS = { 0: 'skipped', 1: 'requeued', 2: 'orphaned', 3: 'too-wide', 4: 'failed' } as const;

/** dead-letter-read.lua; `READ_OK` comes with the entry's fields. */
export const READ_OK = 1;
export const READ_STATUS = { 0: 'skipped', 2: 'orphaned' } as const;

/** replay-dead-letter.lua, besides a new ID. */
export const REPLAY_STATUS = { 0: 'gone', [-1]: 'not-a-record', [-2]: 'too-wide' } as const;

/** dead-letter-commit.lua (after the MULTI's XADD); anything else is `failed`. */
export const COMMIT_STATUS = { 0: 'skipped', 1: 'dead-lettered', 2: 'orphaned' } as const;

/** replay-commit.lua, besides the new ID: the record was gone (already replayed or purged). */
export const REPLAY_COMMIT_GONE = 0;

/** dead-letter-commit.lua, requeue-commit.lua and replay-commit.lua: the MULTI's XADD did not append (its error says why). */
export const COMMIT_WRITE_FAILED = -1;

/** delete-idle-consumer.lua: the consumer was deleted (0: kept). */
export const CONSUMER_DELETED = 1;
