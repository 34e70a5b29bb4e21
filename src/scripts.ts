/**
 * The Lua scripts, registered once per client with ioredis `defineCommand` (EVALSHA with a
 * fallback to EVAL), and typed wrappers that turn their replies into plain objects.
 */
import type { Cluster, Redis } from 'ioredis';
import claimEntriesLua from './scripts/claim-entries.lua';
import deadLetterLua from './scripts/dead-letter.lua';
import deadLetterReadLua from './scripts/dead-letter-read.lua';
import deleteIdleConsumerLua from './scripts/delete-idle-consumer.lua';
import reclaimPageLua from './scripts/reclaim-page.lua';
import replayDeadLetterLua from './scripts/replay-dead-letter.lua';
import settleEntriesLua from './scripts/settle-entries.lua';

export type RedisClient = Redis | Cluster;
type Arg = string | Buffer | number;
type ScriptFn = (numKeys: number, ...args: Arg[]) => Promise<unknown>;

const SCRIPTS = {
  claimEntries: claimEntriesLua,
  settleEntries: settleEntriesLua,
  deadLetter: deadLetterLua,
  deadLetterRead: deadLetterReadLua,
  replayDeadLetter: replayDeadLetterLua,
  deleteIdleConsumer: deleteIdleConsumerLua,
  reclaimPage: reclaimPageLua,
} as const;
type ScriptName = keyof typeof SCRIPTS;

const registered = new WeakSet<object>();

/** Registers every script on the client (idempotent). */
export function registerScripts(client: RedisClient): void {
  if (registered.has(client)) return;
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { lua });
  registered.add(client);
}

function call(client: RedisClient, name: ScriptName, keys: readonly (string | Buffer)[], args: readonly Arg[]): Promise<unknown> {
  registerScripts(client);
  // defineCommand adds `<name>Buffer` at runtime; ioredis cannot type it.
  const fn = (client as unknown as Record<string, ScriptFn>)[`${name}Buffer`] as ScriptFn;
  return fn.call(client, keys.length, ...keys, ...args);
}

export interface ClaimedEntry {
  readonly id: string;
  /** Delivery count after this run's claim: the fence for settling. */
  readonly deliveries: number;
  /** Field names and values, alternating, in order, binary-safe. */
  readonly fields: readonly Buffer[];
}

export interface ClaimReply {
  claimed: ClaimedEntry[];
  orphaned: string[];
  skipped: string[];
}

export async function claimEntries(
  client: RedisClient,
  stream: string,
  args: { group: string; consumer: string; minIdleMs: number; ids: readonly string[] },
): Promise<ClaimReply> {
  const reply = (await call(client, 'claimEntries', [stream], [args.group, args.consumer, args.minIdleMs, ...args.ids])) as [
    [Buffer, number, Buffer[]][],
    Buffer[],
    Buffer[],
  ];
  return {
    claimed: reply[0].map(([id, deliveries, fields]) => ({ id: id.toString(), deliveries, fields })),
    orphaned: reply[1].map(String),
    skipped: reply[2].map(String),
  };
}

export interface Settlement {
  id: string;
  /** Delivery count the claim produced. */
  deliveries: number;
  /** Hash to write with the ack; none means ack only. */
  hash?: { key: Buffer; fields: readonly Buffer[] };
}

/** Returns, per settlement, true when written and acked, false when fenced out (skipped). */
export async function settleEntries(
  client: RedisClient,
  stream: string,
  args: { group: string; consumer: string; settlements: readonly Settlement[] },
): Promise<boolean[]> {
  const keys: Buffer[] = [];
  const argv: Arg[] = [args.group, args.consumer];
  for (const s of args.settlements) {
    if (s.hash) keys.push(s.hash.key);
    argv.push(s.id, s.deliveries, s.hash ? keys.length + 1 : 0, s.hash?.fields.length ?? 0, ...(s.hash?.fields ?? []));
  }
  const reply = (await call(client, 'settleEntries', [stream, ...keys], argv)) as number[];
  return reply.map((status) => status === 1);
}

export type DeadLetterReason = 'max-deliveries' | 'missing-key-field' | 'processing-error';

export interface DeadLetterRequest {
  id: string;
  /** Fence: who must own the entry now, with which delivery count, idle at least how long. */
  expectOwner: string;
  expectDeliveries: number;
  minIdleMs: number;
  /** Record: the owner and delivery count the scan saw, and its idle time then. */
  consumer: string;
  deliveries: number;
  idleMs: number;
  reason: DeadLetterReason;
  error: string;
}

export type DeadLetterStatus = 'dead-lettered' | 'orphaned' | 'skipped';

export async function deadLetter(
  client: RedisClient,
  keys: { stream: string; deadLetter: string },
  args: { group: string; at: number; requests: readonly DeadLetterRequest[] },
): Promise<DeadLetterStatus[]> {
  const argv: Arg[] = [args.group, args.at];
  for (const r of args.requests) {
    argv.push(r.id, r.expectOwner, r.expectDeliveries, r.minIdleMs, r.consumer, r.deliveries, r.idleMs, r.reason, r.error);
  }
  const reply = (await call(client, 'deadLetter', [keys.stream, keys.deadLetter], argv)) as number[];
  return reply.map((s) => (s === 1 ? 'dead-lettered' : s === 2 ? 'orphaned' : 'skipped'));
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
  const reply = (await call(client, 'deadLetterRead', [stream], argv)) as [number, Buffer[]][];
  return reply.map(([status, fields]) => (status === 1 ? { fields } : status === 2 ? 'orphaned' : 'skipped'));
}

/** Per record: the new source-stream ID, `gone` (already replayed or purged), or `not-a-record`. */
export type ReplayStatus = { newId: string } | 'gone' | 'not-a-record';

/** Replays dead-letter records of one source stream (same slot as the DLQ; the caller checks). */
export async function replayDeadLetters(
  client: RedisClient,
  keys: { deadLetter: string; source: string },
  ids: readonly string[],
): Promise<ReplayStatus[]> {
  const reply = (await call(client, 'replayDeadLetter', [keys.deadLetter, keys.source], ids)) as (Buffer | number)[];
  return reply.map((r) => (typeof r === 'number' ? (r === 0 ? 'gone' : 'not-a-record') : { newId: r.toString() }));
}

/** Deletes one consumer if, atomically, it has nothing pending, is idle > `idleMs`, and is not `protect`. */
export async function deleteIdleConsumer(
  client: RedisClient,
  stream: string,
  args: { group: string; consumer: string | Buffer; idleMs: number; protect: string },
): Promise<boolean> {
  return (await call(client, 'deleteIdleConsumer', [stream], [args.group, args.consumer, args.idleMs, args.protect])) === 1;
}

export interface ReclaimPageReply {
  scanned: number;
  claimed: number;
  processed: number;
  deadLettered: number;
  orphaned: number;
  /** Last ID of the scanned page; undefined when the PEL is covered. */
  last: string | undefined;
}

/** The hash writer's fast path: one atomic script scans and settles a page (see its header). */
export async function reclaimPage(
  client: RedisClient,
  keys: { stream: string; deadLetter: string },
  args: {
    group: string;
    minIdleMs: number;
    maxDeliveries: number;
    hashPrefix: string;
    keyField: string;
    at: number;
    checkSlot: boolean;
    start: string;
    count: number;
    serverIdleFilter: boolean;
  },
): Promise<ReclaimPageReply> {
  const argv: Arg[] = [args.group, args.minIdleMs, args.maxDeliveries, args.hashPrefix, args.keyField, args.at, args.checkSlot ? '1' : '0'];
  argv.push(args.start, args.count, args.serverIdleFilter ? 'idle' : 'filter');
  const reply = (await call(client, 'reclaimPage', [keys.stream, keys.deadLetter], argv)) as [number, number, number, number, number, Buffer];
  const [scanned, claimed, processed, deadLettered, orphaned, last] = reply;
  return { scanned, claimed, processed, deadLettered, orphaned, last: last.length > 0 ? last.toString() : undefined };
}
