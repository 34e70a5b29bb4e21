/**
 * Reading, replaying and purging dead-letter records (docs/design.md §5). A record is the original
 * fields followed by exactly nine `dlq.*` metadata fields, so it is parsed by position: original
 * fields named `dlq.*` or repeated stay part of the original fields.
 */
import { isUtf8 } from 'node:buffer';
import { Cluster } from 'ioredis';
import { KeySlotError, UsageError, WrongTypeError } from '../errors';
import { carriesTagOf, hashTag } from '../redis/keys';
import { parseRecord, type DeadLetterRecord } from '../redis/record';
import { replayDeadLetters, type RedisClient } from '../redis/scripts';
import { replayWide } from '../redis/wide';
// nextId, not XRANGE's exclusive `(`: that needs Redis 6.2, and dead letters live on 6.0 too.
import { nextId } from '../reclaim/scan';

// The record's one parser lives beside its one builder; here for the CLI and the tests.
export { parseRecord, type DeadLetterRecord };

const PAGE = 500;

/** JSON form of a binary value: a string when its bytes are valid UTF-8, else `{ base64 }`. */
export type EncodedValue = string | { base64: string };
export const encodeValue = (b: Buffer): EncodedValue => (isUtf8(b) ? b.toString('utf8') : { base64: b.toString('base64') });

/** The `dlq list --json` object of a record (documented in docs/operations.md). */
export function recordToJson(r: DeadLetterRecord): Record<string, unknown> {
  return {
    id: r.id,
    sourceStream: r.sourceStream,
    sourceId: r.sourceId,
    group: r.group,
    consumer: encodeValue(r.consumer),
    reason: r.reason,
    error: encodeValue(r.error),
    deliveries: r.deliveries,
    idleMs: r.idleMs,
    at: r.at,
    fields: r.fields.map(encodeValue),
  };
}


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

export interface Selection {
  /** Explicit record IDs; otherwise the oldest records first. */
  ids?: readonly string[];
  /** At most this many records (after the reason filter). */
  count?: number;
  reason?: string;
}

/** Records selected for list or replay, in stream order; `missing` lists IDs that were not records. */
export async function selectRecords(
  client: RedisClient,
  dlq: string,
  sel: Selection,
): Promise<{ records: DeadLetterRecord[]; missing: string[] }> {
  const records: DeadLetterRecord[] = [];
  const missing: string[] = [];
  const wanted = (r: DeadLetterRecord | undefined): r is DeadLetterRecord => r !== undefined && (sel.reason === undefined || r.reason === sel.reason);
  if (sel.ids) {
    for (const id of sel.ids) {
      const found = (await client.xrangeBuffer(dlq, id, id)) as Entry[];
      const record = found[0] ? parseRecord(id, found[0][1]) : undefined;
      if (wanted(record)) records.push(record);
      else missing.push(id);
    }
    return { records, missing };
  }
  const end = await lastId(client, dlq);
  if (end === undefined) return { records, missing };
  for await (const { record } of readRecords(client, dlq, { end })) {
    if (sel.count !== undefined && records.length >= sel.count) break;
    if (wanted(record)) records.push(record);
  }
  return { records, missing };
}

export interface ReplayOutcome {
  replayed: { id: string; sourceStream: string; newId: string }[];
  /** Records gone or changed since they were read (replayed or purged by someone else). */
  skipped: string[];
}

/**
 * Puts records back on their source streams and deletes them, atomically per batch (Lua).
 * On a cluster the dead-letter stream and each source stream must share a hash tag.
 */
export async function replayRecords(
  client: RedisClient,
  dlq: string,
  records: readonly DeadLetterRecord[],
  onProgress?: (done: number) => void,
): Promise<ReplayOutcome> {
  const outcome: ReplayOutcome = { replayed: [], skipped: [] };
  const bySource = new Map<string, DeadLetterRecord[]>();
  for (const r of records) bySource.set(r.sourceStream, [...(bySource.get(r.sourceStream) ?? []), r]);
  for (const source of bySource.keys()) assertReplayable(client, dlq, source);
  let done = 0;
  for (const [source, group] of bySource) {
    for (let i = 0; i < group.length; i += 100) {
      const batch = group.slice(i, i + 100);
      const keys = { deadLetter: dlq, source };
      const statuses = await replayDeadLetters(client, keys, batch.map((r) => r.id)).catch((error: unknown) => {
        throw sourceTypeError(error, source);
      });
      for (const [k, first] of statuses.entries()) {
        const record = batch[k] as DeadLetterRecord;
        // Too many fields for one call from Lua: the client writes it (src/redis/wide.ts).
        const status = first === 'too-wide' ? await replayWide(client, keys, record.id, record.fields) : first;
        if (typeof status === 'object') outcome.replayed.push({ id: record.id, sourceStream: source, newId: status.newId });
        else outcome.skipped.push(record.id);
      }
      onProgress?.((done += batch.length));
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
  if (source === dlq) throw new UsageError(`Record names the dead-letter stream \`${dlq}\` itself as its source; expected another stream`);
  if (client instanceof Cluster && !carriesTagOf(dlq, source)) {
    throw new KeySlotError(
      `Cannot replay atomically on a cluster: \`${dlq}\` and source stream \`${source}\` must share a hash tag ` +
        `(like \`{orders}\` and \`{orders}:dlq\`), got tags ${hashTag(dlq) ?? 'none'} and ${hashTag(source) ?? 'none'}`,
    );
  }
}

/** `7d`, `12h`, `30m`, `45s`, `2w` → ms. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (!match) throw new UsageError(`Expected a duration like \`7d\`, \`12h\`, \`30m\` or \`45s\`, got \`${text}\``);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Math.round(Number(match[1]) * unit);
}
