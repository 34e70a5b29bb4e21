/**
 * Entries too wide for one call from Lua. Lua hands at most about 8,000 values to one command
 * (lib/record.lua), so a script cannot XADD a dead-letter record of a 4,000-field entry, nor
 * replay one. The scripts leave such entries untouched and report them; here the client writes
 * them instead, in one MULTI: the XADD (no argument limit outside Lua), then a commit script
 * that applies the same fence and acknowledges, or deletes the record again when the fence
 * fails. Nothing runs between the two, so a record exists exactly when its entry was
 * acknowledged by that step, as on the scripted path. (WATCH cannot stand in for the fence:
 * XACK and XCLAIM do not touch a watched stream.)
 */
import { createHash } from 'node:crypto';
import { exactDeadLetterRequest, isExactCount } from './exact-count';
import { COMMIT_SCRIPTS, type RedisClient } from './scripts';
import { deadLetter, type DeadLetterRequest, type DeadLetterStatus } from './dead-letter';
import { settleEntries } from './settle-entries';
import type { ReplayStatus } from './replay-dead-letter';
import { recordMeta } from './record';
import { COMMIT_STATUS, COMMIT_WRITE_FAILED, REPLAY_COMMIT_GONE, REQUEUE_STATUS } from './script-status';
import { requeueEntries, type RequeueRequest, type RequeueStatus } from './requeue';
import { priorDeliveries, requeueCopy } from './retry';

type Value = string | Buffer | number;

/** Runs `write` then the commit script in one MULTI; returns the script's reply, or throws the write's error. */
async function writeThenCommit(
  client: RedisClient,
  write: [string, ...Value[]],
  commit: [string, ...Value[]],
): Promise<unknown> {
  const replies = await client
    .multi()
    .call(...write)
    .eval(...(commit as [string, number, ...Value[]]))
    .exec()
    .catch((error: Error & { previousErrors?: Error[] }) => {
      // EXECABORT (maxmemory refuses the XADD when queued): nothing ran; name the cause.
      throw new Error([error.message, ...(error.previousErrors ?? []).map((e) => e.message)].join(' '));
    });
  const [[writeError], [commitError, reply]] = replies as [[Error | null, unknown], [Error | null, unknown]];
  if (commitError) throw commitError;
  if (reply === COMMIT_WRITE_FAILED)
    throw writeError ?? new Error(`${write[0]} to \`${String(write[1])}\` did not append the entry`);
  return reply;
}

/** Dead-letters one wide entry (fenced as `request` says); the record is its fields plus the metadata. */
export async function deadLetterWide(
  client: RedisClient,
  keys: { stream: string; deadLetter: string },
  group: string,
  request: DeadLetterRequest,
  at: number,
): Promise<DeadLetterStatus> {
  if (!isExactCount(request.expectDeliveries) || !isExactCount(request.deliveries))
    return deadLetterExact(client, keys, group, request, at);
  return deadLetterChecked(client, keys, group, request, at);
}

/** A count beyond 2^53: fenced and recorded with the exact digits (src/redis/exact-count.ts). */
async function deadLetterExact(
  client: RedisClient,
  keys: { stream: string; deadLetter: string },
  group: string,
  scanned: DeadLetterRequest,
  at: number,
): Promise<DeadLetterStatus> {
  const request = await exactDeadLetterRequest(client, keys.stream, group, scanned);
  if (request === undefined) return 'skipped';
  const [entry] = (await client.xrangeBuffer(keys.stream, request.id, request.id)) as [Buffer, Buffer[]][];
  if (entry !== undefined) return deadLetterChecked(client, keys, group, request, at);
  // Gone: acknowledged as an orphan under the owner-and-count fence (dead-letter.lua defers such counts).
  const settlement = { id: request.id, deliveries: request.expectDeliveries };
  const [status] = await settleEntries(client, keys.stream, {
    group,
    consumer: request.expectOwner,
    settlements: [settlement],
  });
  return status === 'settled' ? 'orphaned' : 'skipped';
}

async function deadLetterChecked(
  client: RedisClient,
  keys: { stream: string; deadLetter: string },
  group: string,
  request: DeadLetterRequest,
  at: number,
): Promise<DeadLetterStatus> {
  const [entry] = (await client.xrangeBuffer(keys.stream, request.id, request.id)) as [Buffer, Buffer[]][];
  if (entry === undefined) {
    // Gone: the script acknowledges it as an orphan under the same fence.
    const [status] = await deadLetter(client, keys, { group, at, requests: [request] });
    return status === 'too-wide' || status === undefined ? 'failed' : status;
  }
  const record = [...entry[1], ...recordMeta({ stream: keys.stream, group, at, ...request })];
  const reply = await writeThenCommit(
    client,
    ['XADD', keys.deadLetter, '*', ...record],
    [
      COMMIT_SCRIPTS.deadLetterCommit,
      2,
      keys.stream,
      keys.deadLetter,
      group,
      request.id,
      request.expectOwner,
      request.expectDeliveries,
      request.minIdleMs,
      record.length,
      String(at),
    ],
  );
  return COMMIT_STATUS[reply as keyof typeof COMMIT_STATUS] ?? 'failed';
}

/**
 * Requeues one wide entry (fenced as `request` says): its copy (src/redis/retry.ts) is appended
 * to the stream and the original acknowledged, or the copy deleted again. Its
 * `reclaim.deliveries` is its own deliveries that count plus its earlier copies'.
 */
export async function requeueWide(
  client: RedisClient,
  stream: string,
  group: string,
  request: RequeueRequest,
): Promise<Exclude<RequeueStatus, 'too-wide'>> {
  const [entry] = (await client.xrangeBuffer(stream, request.id, request.id)) as [Buffer, Buffer[]][];
  if (entry === undefined) {
    // Gone: the script acknowledges it as an orphan under the same fence.
    const [status] = await requeueEntries(client, stream, group, [request]);
    return status === 'too-wide' || status === undefined ? 'failed' : status;
  }
  const total = request.ownDeliveries + priorDeliveries(entry[1]);
  const copy = requeueCopy(request.id, entry[1], total);
  const reply = await writeThenCommit(
    client,
    ['XADD', stream, '*', ...copy],
    [
      COMMIT_SCRIPTS.requeueCommit,
      1,
      stream,
      group,
      request.id,
      request.expectOwner,
      request.expectDeliveries,
      request.minIdleMs,
      copy.length,
      copy.at(-3) as Buffer,
      String(total),
    ],
  );
  return REQUEUE_STATUS[reply as 0 | 1 | 2] ?? 'failed';
}

/** Replays one wide record: its original fields go back on `source`, the record is deleted. */
export async function replayWide(
  client: RedisClient,
  keys: { deadLetter: string; source: string },
  recordId: string,
  original: readonly Buffer[],
): Promise<ReplayStatus> {
  const digest = createHash('sha1');
  for (const value of original) digest.update(`${value.length}:`).update(value);
  const reply = await writeThenCommit(
    client,
    ['XADD', keys.source, '*', ...original],
    [COMMIT_SCRIPTS.replayCommit, 2, keys.deadLetter, keys.source, recordId, digest.digest('hex')],
  );
  return reply === REPLAY_COMMIT_GONE ? 'gone' : { newId: String(reply) };
}
