/** What `dlq list|replay|purge` share: flags, settings, the group filter, existence checks, the table. */
import { isUtf8 } from 'node:buffer';
import type { RecordFilter, DeadLetterRecord } from '../ops/dlq';
import { MissingStreamError, UsageError, WrongTypeError } from '../errors';
import { describeServer } from '../config/settings';
import type { RedisClient } from '../redis/connection';
import type { CliIO } from './io';
import type { DlqScope } from './dlq-scope';
import { formatMs, quoted, table } from './text';
import { countForJson } from './exact-json';

export interface DlqFlags {
  json?: boolean;
  stream?: string;
  group?: string;
  allGroups?: boolean;
  count?: number;
  all?: boolean;
  reason?: string;
  dryRun?: boolean;
}

export const DEFAULT_LIST_COUNT = 100;
const MAX_COUNT = 1_000_000;

/** `--count`: at least 1 — a count of 0 would list nothing and look like an empty dead-letter stream. */
export function parseCountFlag(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_COUNT) {
    throw new UsageError(`Expected \`--count\` to be an integer from 1 to ${MAX_COUNT}, got \`${text}\``);
  }
  return Number(text);
}

/** The filter in effect: `--group`, else the configured group(s) (none, or `*`: every group), unless `--all-groups`. */
export function filterOf(flags: DlqFlags, scope: DlqScope): RecordFilter {
  if (flags.allGroups && flags.group) throw new UsageError('Expected one of `--group` and `--all-groups`, got both');
  return { reason: flags.reason, groups: flags.allGroups ? undefined : scope.groups };
}

/**
 * Whether the dead-letter stream exists; a missing one is fine when a source stream exists
 * (nothing dead-lettered yet), an error when none does (a misspelt `STREAM_NAME`).
 */
export async function deadLetterExists(client: RedisClient, scope: DlqScope, io: CliIO): Promise<boolean> {
  const { deadLetterStream: dlq, sources } = scope;
  const [dlqType, ...sourceTypes] = await Promise.all([dlq, ...sources].map((key) => client.type(key)));
  if (dlqType === 'stream') return true;
  const where = describeServer(scope.settings);
  if (dlqType !== 'none')
    throw new WrongTypeError(`Dead-letter key \`${dlq}\` on ${where} holds a ${dlqType}, not a stream`);
  const names = sources.map((s) => `\`${s}\``).join(', ');
  if (sources.length > 0 && sourceTypes.every((t) => t === 'none')) {
    const what =
      sources.length === 1
        ? `Neither stream ${names} nor its dead-letter stream`
        : `None of the streams ${names} nor their dead-letter stream`;
    throw new MissingStreamError(
      `${what} \`${dlq}\` exists on ${where}: check \`STREAM_NAME\` (or \`--stream\`) and \`DEAD_LETTER_STREAM\``,
    );
  }
  io.stderr(
    `no dead-letter stream \`${dlq}\` on ${where} yet: nothing${names ? ` of ${names}` : ''} has been dead-lettered\n`,
  );
  return false;
}

export const describeFilter = (f: RecordFilter): string =>
  [
    f.groups === undefined ? '' : `${f.groups.length === 1 ? 'group' : 'groups'} ${f.groups.join(', ')}`,
    f.reason === undefined ? '' : `reason ${f.reason}`,
  ]
    .filter(Boolean)
    .join(', ');

export function formatRecords(records: readonly DeadLetterRecord[], now = Date.now()): string {
  const preview = (r: DeadLetterRecord): string => {
    const text = r.fields.map(quoted).join(' ');
    const chars = [...text];
    return chars.length > 60 ? `${chars.slice(0, 59).join('')}…` : text;
  };
  return table([
    ['ID', 'GROUP', 'SOURCE', 'REASON', 'DELIVERIES', 'DEAD-LETTERED', 'FIELDS'],
    ...records.map((r) => [
      r.id,
      r.group,
      `${r.sourceStream} ${r.sourceId}`,
      r.reason,
      r.deliveriesText,
      `${formatMs(now - r.at)} ago`,
      preview(r),
    ]),
  ]);
}

/** JSON form of a binary value: a string when its bytes are valid UTF-8, else `{ base64 }`. */
export type EncodedValue = string | { base64: string };
export const encodeValue = (b: Buffer): EncodedValue =>
  isUtf8(b) ? b.toString('utf8') : { base64: b.toString('base64') };

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
    // A JSON number, every digit kept: a bigint beyond 2^53 (src/cli/exact-json.ts).
    deliveries: countForJson(r.deliveriesText),
    idleMs: r.idleMs,
    at: r.at,
    fields: r.fields.map(encodeValue),
  };
}
