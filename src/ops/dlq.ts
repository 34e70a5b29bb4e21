/**
 * Reading, replaying and purging dead-letter records (docs/design.md §5). A record is the original
 * fields followed by exactly nine `dlq.*` metadata fields, so it is parsed by position: original
 * fields named `dlq.*` or repeated stay part of the original fields.
 */
import { Cluster } from 'ioredis';
import { KeySlotError, UsageError, WrongTypeError } from '../errors';
import { carriesTagOf, hashTag } from '../redis/keys';
import { parseRecord, type DeadLetterRecord } from '../redis/record';
import { replayDeadLetters } from '../redis/replay-dead-letter';
import type { RedisClient } from '../redis/scripts';
import { replayWide } from '../redis/wide';
import { splitsSlots } from '../redis/topology';
import { replaySplit } from './dlq-replay-split';
// nextId, not XRANGE's exclusive `(`: that needs Redis 6.2, and dead letters live on 6.0 too.
import { nextId } from '../reclaim/scan';

// The record's one parser lives beside its one builder; here for the CLI and the tests.
export { parseRecord, type DeadLetterRecord };

const PAGE = 500;

type Entry = [Buffer, Buffer[]];

/** Pages through the dead-letter stream from `start` to `end` (inclusive), oldest first. */
export async function* readRecords(
  client: RedisClient,
  dlq: string,
  range: { start?: string; end?: string } = {},
): AsyncGenerator<{ id: string; record: DeadLetterRecord | undefined }> {
  let start = range.start ?? '-';
  const end = range.end ?? '+';
  for (;;) {
    const page = (await client.xrangeBuffer(dlq, start, end, 'COUNT', PAGE)) as Entry[];
    for (const [rawId, items] of page) {
      const id = rawId.toString();
      yield { id, record: parseRecord(id, items) };
    }
    const last = page[page.length - 1];
    if (page.length < PAGE || last === undefined) return;
    start = nextId(last[0].toString());
  }
}

/** ID of the newest entry, so a long operation stops at what existed when it started. */
export async function lastId(client: RedisClient, dlq: string): Promise<string | undefined> {
  const newest = (await client.xrevrangeBuffer(dlq, '+', '-', 'COUNT', 1)) as Entry[];
  return newest[0]?.[0].toString();
}

/** Which records a command acts on; every filter given must match. */
export interface RecordFilter {
  reason?: string;
  /** `dlq.group` is one of these: the group that dead-lettered the record (several may share one dead-letter stream). */
  groups?: readonly string[];
}
export const matches = (r: DeadLetterRecord | undefined, f: RecordFilter): r is DeadLetterRecord =>
  r !== undefined &&
  (f.reason === undefined || r.reason === f.reason) &&
  (f.groups === undefined || f.groups.includes(r.group));

export interface Selection extends RecordFilter {
  /** Explicit record IDs; otherwise the oldest records first. */
  ids?: readonly string[];
  /** At most this many records (after the filters). */
  count?: number;
}

/**
 * Records selected for list or replay, in stream order; `missing` lists IDs that were not
 * (matching) records; `matched` counts every matching record, also those beyond `count`.
 */
export async function selectRecords(
  client: RedisClient,
  dlq: string,
  sel: Selection,
): Promise<{ records: DeadLetterRecord[]; missing: string[]; matched: number }> {
  const records: DeadLetterRecord[] = [];
  const missing: string[] = [];
  if (sel.ids) {
    for (const id of sel.ids) {
      const found = (await client.xrangeBuffer(dlq, id, id)) as Entry[];
      const record = found[0] ? parseRecord(id, found[0][1]) : undefined;
      if (matches(record, sel)) records.push(record);
      else missing.push(id);
    }
    return { records, missing, matched: records.length };
  }
  let matched = 0;
  const end = await lastId(client, dlq);
  if (end === undefined) return { records, missing, matched };
  // Read on past `count` only to count: "N of M" tells the operator the list is cut short.
  for await (const { record } of readRecords(client, dlq, { end })) {
    if (!matches(record, sel)) continue;
    matched++;
    if (sel.count === undefined || records.length < sel.count) records.push(record);
  }
  return { records, missing, matched };
}

export interface ReplayOutcome {
  replayed: { id: string; sourceStream: string; newId: string }[];
  /** Records gone or changed since they were read (replayed or purged by someone else). */
  skipped: string[];
}

/**
 * Puts records back on their source streams and deletes them, atomically per chunk (Lua).
 * On a cluster the dead-letter stream and each source stream must share a hash tag; on one
 * endpoint that shards, streams in different slots are replayed in two steps (dlq-replay-split.ts).
 */
export async function replayRecords(
  client: RedisClient,
  dlq: string,
  records: readonly DeadLetterRecord[],
  onProgress?: (done: number) => void,
  /** Told once per connection when its endpoint turns out to shard (src/redis/topology.ts). */
  onSharded: () => void = () => undefined,
): Promise<ReplayOutcome> {
  const outcome: ReplayOutcome = { replayed: [], skipped: [] };
  const bySource = new Map<string, DeadLetterRecord[]>();
  for (const r of records) bySource.set(r.sourceStream, [...(bySource.get(r.sourceStream) ?? []), r]);
  for (const source of bySource.keys()) assertReplayable(client, dlq, source);
  let done = 0;
  for (const [source, group] of bySource) {
    // One endpoint that shards, the two streams in different slots: added, then deleted (at-least-once).
    const split = !(client instanceof Cluster) && (await splitsSlots(client, [dlq, source], onSharded));
    for (let i = 0; i < group.length; i += 100) {
      const chunk = group.slice(i, i + 100);
      const keys = { deadLetter: dlq, source };
      const replay = split ? replaySplit : replayDeadLetters;
      const statuses = await replay(
        client,
        keys,
        chunk.map((r) => r.id),
      ).catch((error: unknown) => {
        throw sourceTypeError(error, source);
      });
      for (const [k, first] of statuses.entries()) {
        const record = chunk[k] as DeadLetterRecord;
        // Too many fields for one call from Lua: the client writes it (src/redis/wide.ts).
        const status = first === 'too-wide' ? await replayWide(client, keys, record.id, record.fields) : first;
        if (typeof status === 'object')
          outcome.replayed.push({ id: record.id, sourceStream: source, newId: status.newId });
        else outcome.skipped.push(record.id);
      }
      onProgress?.((done += chunk.length));
    }
  }
  return outcome;
}

/** The script's guard names no key; the operator needs the source stream's name. */
function sourceTypeError(error: unknown, source: string): unknown {
  if (!(error instanceof Error) || !error.message.startsWith('WRONGTYPE source key')) return error;
  return new WrongTypeError(`Source stream \`${source}\` holds another type, not a stream; nothing was replayed`);
}

function assertReplayable(client: RedisClient, dlq: string, source: string): void {
  if (source === dlq)
    throw new UsageError(
      `Record names the dead-letter stream \`${dlq}\` itself as its source; expected another stream`,
    );
  if (client instanceof Cluster && !carriesTagOf(dlq, source)) {
    throw new KeySlotError(
      `Cannot replay atomically on a cluster: \`${dlq}\` and source stream \`${source}\` must share a hash tag ` +
        `(like \`{orders}\` and \`{orders}:dlq\`), got tags ${hashTag(dlq) ?? 'none'} and ${hashTag(source) ?? 'none'}`,
    );
  }
}
