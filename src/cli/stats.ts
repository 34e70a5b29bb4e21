/** `stream-reclaimer stats [--json]`: the group at a glance, as a table or one JSON object. */
import { UsageError } from '../errors';
import { CONNECTION_SETTINGS, isSingleTarget, loadSettings, type Settings } from '../config/settings';
import { collectStats, DEFAULT_REASON_SAMPLE, type GroupStats } from '../ops/stats';
import { collectTargetStats, isFailedStats } from '../ops/target-stats';
import { withClient, type CliIO } from './io';
import { settingOverrides } from './run';
import { formatMs, table } from './text';

export interface StatsFlags {
  json?: boolean;
  sample?: string;
  stream?: string;
  group?: string;
}

export async function statsCommand(flags: StatsFlags, io: CliIO): Promise<number> {
  const sample = parseCount(flags.sample, '--sample', DEFAULT_REASON_SAMPLE);
  const use = [
    ...CONNECTION_SETTINGS,
    'STREAM_NAME',
    'STREAM_PATTERN',
    'STREAM_CONSUMER_GROUP_NAME',
    'DEAD_LETTER_STREAM',
    // What the deferred-by-backoff count needs (src/ops/deferred-stats.ts).
    'MIN_IDLE_TIME_SEC',
    'MAX_DELIVERIES',
    'RETRY_BACKOFF_MAX_SEC',
  ] as const;
  const settings = loadSettings(io.env, settingOverrides(flags), { use });
  if (!isSingleTarget(settings.targets)) return targetsStats(settings, sample, flags, io);
  const stats = await withClient(settings, (client) => collectStats(client, settings, { sample }), io);
  io.stdout(flags.json ? `${JSON.stringify(stats)}\n` : formatStats(stats));
  return 0;
}

/** Several targets: a block each (`--json`: one object per line, each shaped as for one); exit 1 if any failed. */
async function targetsStats(settings: Settings, sample: number, flags: StatsFlags, io: CliIO): Promise<number> {
  const all = await withClient(settings, (client) => collectTargetStats(client, settings, { sample }), io);
  for (const t of all) {
    if (flags.json) io.stdout(`${JSON.stringify(t)}\n`);
    else io.stdout(`== ${t.stream} / ${t.group}\n${isFailedStats(t) ? `  error: ${t.error}\n` : formatStats(t)}\n`);
  }
  if (all.length === 0) io.stderr('no targets: no stream matches and has the group\n');
  return all.some(isFailedStats) ? 1 : 0;
}

/** A non-negative integer option; `fallback` when absent. */
export function parseCount(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > 1_000_000)
    throw new UsageError(`Expected \`${flag}\` to be an integer from 0 to 1000000, got \`${text}\``);
  return Number(text);
}

export function formatStats(s: GroupStats): string {
  const reasons = Object.entries(s.deadLetterReasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const summary = table([
    ['stream', `${s.stream} (${s.streamLength} entries)`],
    ['group', `${s.group} (last delivered ${s.lastDeliveredId})`],
    ['pending', String(s.pending)],
    ['oldest pending', s.oldestPendingId ? `${s.oldestPendingId}, idle ${formatMs(s.oldestIdleMs)}` : '—'],
    ['lag', s.lag === null ? 'unknown (server < 7.0, or entries were deleted)' : `${s.lag} not yet delivered`],
    ['dead letters', `${s.deadLetters} in ${s.deadLetterStream}`],
    ['reasons', s.deadLetterSample ? `${reasons} (newest ${s.deadLetterSample})` : '—'],
    ...(s.deferred === null
      ? []
      : [['deferred by backoff', `${s.deferred} (of the oldest ${s.deferredSample} pending)`]]),
  ]);
  const consumers = table([
    ['CONSUMER', 'PENDING', 'IDLE', 'INACTIVE'],
    ...s.consumers.map((c) => [c.name, String(c.pending), formatMs(c.idleMs), formatMs(c.inactiveMs)]),
  ]);
  return `${summary}\nconsumers (${s.consumers.length})\n${s.consumers.length ? consumers : '  none\n'}`;
}
