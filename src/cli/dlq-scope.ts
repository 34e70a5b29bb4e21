/**
 * Which dead-letter stream `dlq list|replay|purge` act on, and whose records, when the settings
 * may name several targets (a `STREAM_NAME` list, `STREAM_PATTERN`, a group list or `*`).
 * Decided before anything connects: a usage problem touches nothing.
 */
import { UsageError } from '../errors';
import {
  CONNECTION_SETTINGS,
  loadSettings,
  type SettingName,
  type Settings,
  type TargetSpec,
} from '../config/settings';
import type { CliIO } from './io';
import { settingOverrides } from './run';

export interface DlqScope {
  /** The connection settings (and the server's address, for messages). */
  readonly settings: Settings;
  readonly deadLetterStream: string;
  /**
   * Source streams whose existence tells "nothing dead-lettered yet" from a misspelt name when
   * the dead-letter stream is missing; empty for a pattern (that would need a SCAN).
   */
  readonly sources: readonly string[];
  /** Records of these groups only (`dlq.group`); undefined for every group. */
  readonly groups: readonly string[] | undefined;
}

export interface ScopeFlags {
  stream?: string;
  group?: string;
}

const USE: readonly SettingName[] = [
  ...CONNECTION_SETTINGS,
  'STREAM_NAME',
  'STREAM_PATTERN',
  'DEAD_LETTER_STREAM',
  'STREAM_CONSUMER_GROUP_NAME',
];

/**
 * One stream (the only one configured, or `--stream`): its dead-letter stream. Several streams
 * or a pattern: the one explicit `DEAD_LETTER_STREAM` they all share, else a usage error naming
 * them — each has its own `<stream>:dlq`, and acting on one of them silently would be a guess.
 */
export function dlqScope(flags: ScopeFlags, io: CliIO): DlqScope {
  if (flags.stream !== undefined && flags.stream.includes(',')) {
    throw new UsageError(`Expected \`--stream\` to be one stream name, got \`${flags.stream}\``);
  }
  const overrides = settingOverrides(flags);
  const scope = { use: USE, optional: ['STREAM_CONSUMER_GROUP_NAME'] as SettingName[] };
  // No group set means records of every group, which is what `*` says; read that way, the
  // settings also carry the streams (or the pattern) exactly as a run reads them.
  const group = overrides.STREAM_CONSUMER_GROUP_NAME ?? io.env.STREAM_CONSUMER_GROUP_NAME;
  const settings = loadSettings(
    io.env,
    group?.trim() ? overrides : { ...overrides, STREAM_CONSUMER_GROUP_NAME: '*' },
    scope,
  );
  const spec = settings.targets;
  if (spec === undefined) throw new Error('settings without targets after validation'); // loadSettings reports what is missing
  const groups = spec.groups === '*' ? undefined : spec.groups;
  if ('streams' in spec && spec.streams.length === 1) {
    const stream = spec.streams[0] as string;
    return { settings, deadLetterStream: spec.deadLetterStream ?? `${stream}:dlq`, sources: [stream], groups };
  }
  if (spec.deadLetterStream !== undefined) {
    return {
      settings,
      deadLetterStream: spec.deadLetterStream,
      sources: 'streams' in spec ? spec.streams : [],
      groups,
    };
  }
  throw new UsageError(
    `Expected \`--stream <name>\` to pick the stream whose dead letters to use: ${configured(spec)}, each with its own dead-letter stream \`<stream>:dlq\``,
  );
}

function configured(spec: TargetSpec): string {
  return 'streams' in spec
    ? `\`STREAM_NAME\` names ${spec.streams.length} streams (${spec.streams.join(', ')})`
    : `\`STREAM_PATTERN\` \`${spec.pattern}\` matches any number of streams`;
}
