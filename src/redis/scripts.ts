/**
 * The Lua scripts, registered once per client with ioredis `defineCommand` (EVALSHA with a
 * fallback to EVAL), their includes resolved. Each script's typed wrapper lives beside it, as
 * src/redis/<script>.ts (settle-entries.ts, dead-letter.ts, reclaim-page.ts, …).
 */
import type { RedisClient } from './client';
import { resolveIncludes } from './lua-include';
import claimEntriesLua from './scripts/claim-entries.lua';
import deadLetterCommitLua from './scripts/dead-letter-commit.lua';
import deadLetterLua from './scripts/dead-letter.lua';
import deadLetterReadLua from './scripts/dead-letter-read.lua';
import deleteIdleConsumerLua from './scripts/delete-idle-consumer.lua';
import reclaimPageLua from './scripts/reclaim-page.lua';
import fenceLib from './scripts/lib/fence.lua';
import guardsLib from './scripts/lib/guards.lua';
import idWindowLib from './scripts/lib/id-window.lua';
import recordLib from './scripts/lib/record.lua';
import retryLib from './scripts/lib/retry.lua';
import slicesLib from './scripts/lib/slices.lua';
import renewLeaseLua from './scripts/renew-lease.lua';
import replayCommitLua from './scripts/replay-commit.lua';
import replayDeadLetterLua from './scripts/replay-dead-letter.lua';
import requeueCommitLua from './scripts/requeue-commit.lua';
import requeueEntriesLua from './scripts/requeue-entries.lua';
import settleEntriesLua from './scripts/settle-entries.lua';

export type { RedisClient };
export type Arg = string | Buffer | number;
type ScriptFn = (numKeys: number, ...args: Arg[]) => Promise<unknown>;

/** src/redis/scripts/lib/, by the name a script's `--- @include "<name>"` gives. */
export const LUA_LIBS: Readonly<Record<string, string>> = {
  fence: fenceLib,
  guards: guardsLib,
  'id-window': idWindowLib,
  record: recordLib,
  retry: retryLib,
  slices: slicesLib,
};

/** The scripts as written, by name (their includes not yet resolved). */
export const SCRIPT_SOURCES = {
  claimEntries: claimEntriesLua,
  requeueEntries: requeueEntriesLua,
  settleEntries: settleEntriesLua,
  deadLetter: deadLetterLua,
  deadLetterRead: deadLetterReadLua,
  replayDeadLetter: replayDeadLetterLua,
  deleteIdleConsumer: deleteIdleConsumerLua,
  reclaimPage: reclaimPageLua,
  deadLetterCommit: deadLetterCommitLua,
  replayCommit: replayCommitLua,
  requeueCommit: requeueCommitLua,
  renewLease: renewLeaseLua,
} as const;
type SourceName = keyof typeof SCRIPT_SOURCES;

/** A script as Redis receives it: its includes put in place. */
export const scriptText = (name: SourceName): string => resolveIncludes(SCRIPT_SOURCES[name], LUA_LIBS, name);

const SCRIPTS = {
  claimEntries: scriptText('claimEntries'),
  requeueEntries: scriptText('requeueEntries'),
  settleEntries: scriptText('settleEntries'),
  deadLetter: scriptText('deadLetter'),
  deadLetterRead: scriptText('deadLetterRead'),
  replayDeadLetter: scriptText('replayDeadLetter'),
  deleteIdleConsumer: scriptText('deleteIdleConsumer'),
  reclaimPage: scriptText('reclaimPage'),
  renewLease: scriptText('renewLease'),
} as const;

/**
 * The second halves of the MULTI that writes a record too long for one call from Lua
 * (src/redis/wide.ts). Sent as EVAL, not EVALSHA: a NOSCRIPT inside a transaction cannot be retried
 * inside it, and these run only for such rare entries.
 */
export const COMMIT_SCRIPTS = {
  deadLetterCommit: scriptText('deadLetterCommit'),
  replayCommit: scriptText('replayCommit'),
  requeueCommit: scriptText('requeueCommit'),
} as const;
type ScriptName = keyof typeof SCRIPTS;

const registered = new WeakSet<object>();

/** Registers every script on the client (idempotent). */
export function registerScripts(client: RedisClient): void {
  if (registered.has(client)) return;
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { lua });
  registered.add(client);
}

/** Runs a registered script (as `<name>Buffer`: replies keep binary values). */
export function callScript(
  client: RedisClient,
  name: ScriptName,
  keys: readonly (string | Buffer)[],
  args: readonly Arg[],
): Promise<unknown> {
  registerScripts(client);
  // defineCommand adds `<name>Buffer` at runtime; ioredis cannot type it.
  const fn = (client as unknown as Record<string, ScriptFn>)[`${name}Buffer`] as ScriptFn;
  return fn.call(client, keys.length, ...keys, ...args);
}
