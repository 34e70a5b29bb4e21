/**
 * Which streams and groups one run covers, decided once from `STREAM_NAME` / `STREAM_PATTERN`
 * and `STREAM_CONSUMER_GROUP_NAME` (src/reclaim/targets.ts turns it into targets at run time).
 */
import type { SettingName } from './settings-schema';

/** The streams and groups one run covers. */
export type TargetSpec = ({ readonly streams: readonly string[] } | { readonly pattern: string }) & {
  /** Listed groups, or `*` for every group of each stream. */
  readonly groups: readonly string[] | '*';
  /** `DEAD_LETTER_STREAM` when set explicitly (it then applies to every target); else each stream's `<stream>:dlq`. */
  readonly deadLetterStream: string | undefined;
  /** `HASH_KEY_PREFIX` when set explicitly; else each stream's `<stream>:`. */
  readonly hashKeyPrefix: string | undefined;
};

/** The keys a stream's targets write: the explicit settings when given (they apply to every stream), else this stream's defaults. */
export interface StreamKeys {
  readonly deadLetterStream: string;
  readonly hashKeyPrefix: string;
}

/** The one definition of the per-stream key defaults: `<stream>:dlq` and `<stream>:`. */
export function streamKeys(
  stream: string,
  explicit: { readonly deadLetterStream?: string | undefined; readonly hashKeyPrefix?: string | undefined } = {},
): StreamKeys {
  return {
    deadLetterStream: explicit.deadLetterStream ?? `${stream}:dlq`,
    hashKeyPrefix: explicit.hashKeyPrefix ?? `${stream}:`,
  };
}

/** True when the spec names exactly one stream and one group: the run is exactly today's single run. */
export const isSingleTarget = (spec: TargetSpec | undefined): boolean =>
  spec === undefined ||
  ('streams' in spec && spec.streams.length === 1 && spec.groups !== '*' && spec.groups.length === 1);

/** A comma-separated list, items trimmed, empty items and repeats dropped (a trailing comma is harmless). */
export const splitList = (text: string): string[] => [
  ...new Set(
    text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ),
];

interface Given {
  /** Raw `STREAM_NAME` ('' when unset). */
  stream: string;
  pattern: string | undefined;
  /** Raw `STREAM_CONSUMER_GROUP_NAME` ('' when unset). */
  group: string;
  /** Raw explicit values, '' when unset. */
  deadLetterStream: string;
  hashKeyPrefix: string;
}

/**
 * The spec, or undefined when a required part is missing (already reported by the caller).
 * `at` names the setting a problem belongs to, so scoped commands drop what they do not read.
 */
export function targetSpec(
  given: Given,
  problems: { push: (p: string) => void },
  at: (key: SettingName) => void,
): TargetSpec | undefined {
  if (given.pattern !== undefined && given.stream !== '') {
    at('STREAM_PATTERN');
    problems.push(
      `Expected \`STREAM_PATTERN\` to be empty when \`STREAM_NAME\` is set (set exactly one of them), got \`${given.pattern}\``,
    );
    return undefined;
  }
  const groupList = splitList(given.group);
  if (groupList.length > 1 && groupList.includes('*')) {
    at('STREAM_CONSUMER_GROUP_NAME');
    problems.push(
      `Expected \`STREAM_CONSUMER_GROUP_NAME\` to be a group name, a comma-separated list of names, or \`*\` alone, got \`${given.group}\``,
    );
    return undefined;
  }
  const streams = splitList(given.stream);
  if ((given.pattern === undefined && streams.length === 0) || groupList.length === 0) return undefined;
  const groups = groupList[0] === '*' ? '*' : groupList;
  const keys = {
    groups,
    deadLetterStream: given.deadLetterStream || undefined,
    hashKeyPrefix: given.hashKeyPrefix || undefined,
  } as const;
  return given.pattern !== undefined ? { pattern: given.pattern, ...keys } : { streams, ...keys };
}
