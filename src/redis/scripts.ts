/**
 * The Lua scripts, registered once per client with ioredis `defineCommand` (EVALSHA with a
 * fallback to EVAL), and typed wrappers that turn their replies into plain objects.
 */
import type { RedisClient } from './client';
import { resolveIncludes } from './lua-include';
import { CONSUMER_DELETED, DEAD_LETTER_STATUS, READ_OK, READ_STATUS, REPLAY_STATUS, SETTLE_STATUS } from './script-status';
import claimEntriesLua from './scripts/claim-entries.lua';
import deadLetterCommitLua from './scripts/dead-letter-commit.lua';
import deadLetterLua from './scripts/dead-letter.lua';
import deadLetterReadLua from './scripts/dead-letter-read.lua';
import deleteIdleConsumerLua from './scripts/delete-idle-consumer.lua';
import reclaimPageLua from './scripts/reclaim-page.lua';
import fenceLib from './scripts/lib/fence.lua';
import guardsLib from './scripts/lib/guards.lua';
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
type Arg = string | Buffer | number;
type ScriptFn = (numKeys: number, ...args: Arg[]) => Promise<unknown>;

/** src/redis/scripts/lib/, by the name a script's `--- @include "<name>"` gives. */
export const LUA_LIBS: Readonly<Record<string, string>> = {
  fence: fenceLib,
  guards: guardsLib,
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
export function callScript(client: RedisClient, name: ScriptName, keys: readonly (string | Buffer)[], args: readonly Arg[]): Promise<unknown> {
  registerScripts(client);
  // defineCommand adds `<name>Buffer` at runtime; ioredis cannot type it.
  const fn = (client as unknown as Record<string, ScriptFn>)[`${name}Buffer`] as ScriptFn;
  return fn.call(client, keys.length, ...keys, ...args);
}

export interface Settlement {
  id: string;
  /** Delivery count the claim produced (text: read exactly beyond 2^53, src/redis/exact-count.ts). */
  deliveries: number | string;
  /** Hash to write with the ack; none means ack only. */
  hash?: { key: Buffer; fields: readonly Buffer[] };
}

/**
 * Per settlement: written and acked, fenced out (skipped), its hash key holds another type
 * (nothing written; the caller dead-letters it), or failed after the script's first write;
 * with RECLAIM_ACTION=requeue, requeued or orphaned (src/reclaim/requeue.ts).
 */
export type SettleStatus = 'settled' | 'skipped' | { hashError: string } | 'failed' | 'requeued' | 'orphaned';

export async function settleEntries(
  client: RedisClient,
  stream: string,
  args: { group: string; consumer: string; settlements: readonly Settlement[] },
): Promise<SettleStatus[]> {
  const keys: Buffer[] = [];
  const argv: Arg[] = [args.group, args.consumer];
  for (const s of args.settlements) {
    if (s.hash) keys.push(s.hash.key);
    argv.push(s.id, s.deliveries, s.hash ? keys.length + 1 : 0, s.hash?.fields.length ?? 0, ...(s.hash?.fields ?? []));
  }
  const [statuses, errors] = (await callScript(client, 'settleEntries', [stream, ...keys], argv)) as [number[], Buffer[]];
  return statuses.map((status, i) => SETTLE_STATUS[status as keyof typeof SETTLE_STATUS] ?? { hashError: String(errors[i]) });
}

export type DeadLetterReason = 'max-deliveries' | 'missing-key-field' | 'processing-error';

export interface DeadLetterRequest {
  id: string;
  /** Fence: who must own the entry now, with which delivery count, idle at least how long. */
  expectOwner: string;
  /** Text (decimal digits) once read exactly beyond 2^53 (src/redis/exact-count.ts). */
  expectDeliveries: number | string;
  minIdleMs: number;
  /** Record: the owner and delivery count the scan saw, and its idle time then. */
  consumer: string;
  deliveries: number | string;
  idleMs: number;
  reason: DeadLetterReason;
  error: string;
}

export type DeadLetterStatus = 'dead-lettered' | 'orphaned' | 'skipped' | 'failed';

export async function deadLetter(
  client: RedisClient,
  keys: { stream: string; deadLetter: string },
  args: { group: string; at: number; requests: readonly DeadLetterRequest[] },
): Promise<(DeadLetterStatus | 'too-wide')[]> {
  const argv: Arg[] = [args.group, args.at];
  for (const r of args.requests) {
    argv.push(r.id, r.expectOwner, r.expectDeliveries, r.minIdleMs, r.consumer, r.deliveries, r.idleMs, r.reason, r.error);
  }
  const reply = (await callScript(client, 'deadLetter', [keys.stream, keys.deadLetter], argv)) as (keyof typeof DEAD_LETTER_STATUS)[];
  return reply.map((s) => DEAD_LETTER_STATUS[s]);
}

/** Per request: the entry's fields when its fence holds, else orphaned (acked) or skipped. */
export type DeadLetterRead = { fields: Buffer[] } | 'orphaned' | 'skipped';

/** Fenced read for the at-least-once dead-letter path (stream only; see the script's header). */
export async function readForDeadLetter(
  client: RedisClient,
  stream: string,
  args: { group: string; requests: readonly Pick<DeadLetterRequest, 'id' | 'expectOwner' | 'expectDeliveries' | 'minIdleMs'>[] },
): Promise<DeadLetterRead[]> {
  const argv: Arg[] = [args.group];
  for (const r of args.requests) argv.push(r.id, r.expectOwner, r.expectDeliveries, r.minIdleMs);
  const reply = (await callScript(client, 'deadLetterRead', [stream], argv)) as [number, Buffer[]][];
  return reply.map(([status, fields]) => (status === READ_OK ? { fields } : (READ_STATUS[status as keyof typeof READ_STATUS] ?? 'skipped')));
}

/**
 * Per record: the new source-stream ID, `gone` (already replayed or purged), `not-a-record`, or
 * `too-wide` (left for the MULTI of src/redis/wide.ts).
 */
export type ReplayStatus = { newId: string } | 'gone' | 'not-a-record' | 'too-wide';

/** Replays dead-letter records of one source stream (same slot as the DLQ; the caller checks). */
export async function replayDeadLetters(
  client: RedisClient,
  keys: { deadLetter: string; source: string },
  ids: readonly string[],
): Promise<ReplayStatus[]> {
  const reply = (await callScript(client, 'replayDeadLetter', [keys.deadLetter, keys.source], ids)) as (Buffer | number)[];
  return reply.map((r) => (typeof r === 'number' ? REPLAY_STATUS[r as keyof typeof REPLAY_STATUS] : { newId: r.toString() }));
}

/** Deletes one consumer if, atomically, it has nothing pending, is idle > `idleMs`, and is not `protect`. */
export async function deleteIdleConsumer(
  client: RedisClient,
  stream: string,
  args: { group: string; consumer: string | Buffer; idleMs: number; protect: string },
): Promise<boolean> {
  return (await callScript(client, 'deleteIdleConsumer', [stream], [args.group, args.consumer, args.idleMs, args.protect])) === CONSUMER_DELETED;
}
