/** `stream-reclaimer dlq list|replay|purge`: look at, replay and delete dead-letter records. */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { parseDuration, recordToJson, replayRecords, selectRecords, type DeadLetterRecord } from '../ops/dlq';
import { countPurge, planPurge, purge } from '../ops/dlq-purge';
import { UsageError } from '../errors';
import { loadSettings, type Settings } from '../config/settings';
import { withClient, type CliIO } from './io';
import { settingOverrides } from './run';
import { formatMs, parseCount, table } from './stats';

interface CommonFlags {
  json?: boolean;
  stream?: string;
  group?: string;
}
interface ListFlags extends CommonFlags {
  count?: string;
  reason?: string;
}
interface ReplayFlags extends ListFlags {
  id?: string[];
  all?: boolean;
  dryRun?: boolean;
}
interface PurgeFlags extends CommonFlags {
  olderThan?: string;
  yes?: boolean;
}

const DEFAULT_LIST_COUNT = 100;
/** Lines of human output about individual records; the rest is summarized (`--json` has them all). */
const SHOWN = 50;
const capped = (lines: readonly string[], more = lines.length - SHOWN): string =>
  lines.slice(0, SHOWN).join('') + (more > 0 ? `  … and ${more} more (--json lists every one)\n` : '');

export function registerDlq(program: Command, io: CliIO, done: (code: number) => void): void {
  const dlq = program.command('dlq').description('dead-letter records: list, replay onto the source stream, purge');
  const common = (c: Command): Command =>
    c.option('--json', 'machine-readable output on stdout').option('--stream <name>', 'override STREAM_NAME').option('--group <name>', 'override STREAM_CONSUMER_GROUP_NAME');
  common(dlq.command('list').description('records, oldest first'))
    .option('--count <n>', `at most this many records (default ${DEFAULT_LIST_COUNT})`)
    .option('--reason <reason>', 'only this dlq.reason (max-deliveries, missing-key-field, processing-error)')
    .action(async (flags: ListFlags) => done(await listCommand(flags, io)));
  common(dlq.command('replay').description('put records back on their source stream (original fields, exactly) and delete them'))
    .option('--count <n>', 'the oldest n records')
    .option('--id <id...>', 'these record IDs')
    .option('--all', 'every record that exists now')
    .option('--reason <reason>', 'only records with this dlq.reason')
    .option('--dry-run', 'show what would be replayed, change nothing')
    .action(async (flags: ReplayFlags) => done(await replayCommand(flags, io)));
  common(dlq.command('purge').description('delete records (all, or those older than --older-than)'))
    .option('--older-than <duration>', 'only records added longer ago than this: 30m, 12h, 7d')
    .option('--yes', 'really delete (without it, only say what would be deleted)')
    .action(async (flags: PurgeFlags) => done(await purgeCommand(flags, io)));
}

const settingsOf = (flags: CommonFlags, io: CliIO): Settings => loadSettings(io.env, settingOverrides(flags));

/** A progress bar on stderr when stdout is a terminal and not JSON; quiet when piped. */
function progress(io: CliIO, flags: CommonFlags, label: string, total: number): SingleBar | undefined {
  if (!io.isTTY || flags.json || total < 1) return undefined;
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total}`, hideCursor: true });
  bar.start(total, 0);
  return bar;
}

export async function listCommand(flags: ListFlags, io: CliIO): Promise<number> {
  const count = parseCount(flags.count, '--count', DEFAULT_LIST_COUNT);
  const settings = settingsOf(flags, io);
  const { records } = await withClient(settings, (c) => selectRecords(c, settings.deadLetterStream, { count, reason: flags.reason }));
  if (flags.json) io.stdout(records.map((r) => `${JSON.stringify(recordToJson(r))}\n`).join(''));
  else io.stdout(records.length ? formatRecords(records) : `no dead-letter records in ${settings.deadLetterStream}\n`);
  return 0;
}

export function formatRecords(records: readonly DeadLetterRecord[]): string {
  const preview = (r: DeadLetterRecord): string => {
    const text = r.fields.map((b) => b.toString('utf8').replace(/[^\x20-\x7e]/g, '?')).join(' ');
    return text.length > 40 ? `${text.slice(0, 39)}…` : text;
  };
  return table([
    ['ID', 'SOURCE', 'REASON', 'DELIVERIES', 'DEAD-LETTERED', 'FIELDS'],
    ...records.map((r) => [r.id, `${r.sourceStream} ${r.sourceId}`, r.reason, String(r.deliveries), `${formatMs(Date.now() - r.at)} ago`, preview(r)]),
  ]);
}

export async function replayCommand(flags: ReplayFlags, io: CliIO): Promise<number> {
  const chosen = [flags.count !== undefined, flags.id !== undefined, flags.all === true].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('Expected exactly one of `--count N`, `--id ID …` or `--all` to choose the records to replay');
  const count = flags.count === undefined ? undefined : parseCount(flags.count, '--count', 0);
  const settings = settingsOf(flags, io);
  const dlq = settings.deadLetterStream;
  return withClient(settings, async (client) => {
    const { records, missing } = await selectRecords(client, dlq, { ids: flags.id, count, reason: flags.reason });
    for (const id of missing) io.stderr(`not replayed: \`${id}\` is not a dead-letter record in ${dlq}${flags.reason ? ` with reason ${flags.reason}` : ''}\n`);
    if (flags.dryRun) {
      if (flags.json) io.stdout(`${JSON.stringify({ dryRun: true, wouldReplay: records.map(recordToJson), missing })}\n`);
      else io.stdout(`DRY RUN (nothing changed) — would replay ${records.length} record(s):\n${records.length ? formatRecords(records.slice(0, SHOWN)) + capped([], records.length - SHOWN) : ''}`);
      return missing.length ? 1 : 0;
    }
    const bar = progress(io, flags, 'replaying', records.length);
    try {
      const outcome = await replayRecords(client, dlq, records, bar ? (n) => bar.update(n) : undefined);
      bar?.stop();
      for (const id of outcome.skipped) io.stderr(`not replayed: \`${id}\` was removed or changed by someone else meanwhile\n`);
      if (flags.json) io.stdout(`${JSON.stringify({ dryRun: false, replayed: outcome.replayed, skipped: outcome.skipped, missing })}\n`);
      else io.stdout(`replayed ${outcome.replayed.length} record(s)\n${capped(outcome.replayed.map((r) => `  ${r.id} → ${r.sourceStream} ${r.newId}\n`))}`);
      return missing.length || outcome.skipped.length ? 1 : 0;
    } finally {
      bar?.stop();
    }
  });
}

export async function purgeCommand(flags: PurgeFlags, io: CliIO): Promise<number> {
  const olderThanMs = flags.olderThan === undefined ? undefined : parseDuration(flags.olderThan);
  const settings = settingsOf(flags, io);
  const dlq = settings.deadLetterStream;
  return withClient(settings, async (client) => {
    const plan = await planPurge(client, dlq, olderThanMs);
    const which = olderThanMs === undefined ? 'every record' : `the records added before ${new Date(plan.cutoffMs).toISOString()} (older than ${flags.olderThan})`;
    if (!flags.yes) {
      const n = await countPurge(client, dlq, plan);
      io.stderr(`Refusing to purge without --yes: it would delete ${n} record(s) of ${dlq}, ${which}. Run again with --yes to delete them.\n`);
      return 2;
    }
    const bar = progress(io, flags, 'purging', io.isTTY && !flags.json ? await countPurge(client, dlq, plan) : 0);
    try {
      const deleted = await purge(client, dlq, plan, bar ? (n) => bar.update(n) : undefined);
      bar?.stop();
      io.stdout(flags.json ? `${JSON.stringify({ deadLetterStream: dlq, deleted, cutoffMs: plan.cutoffMs })}\n` : `deleted ${deleted} record(s) of ${dlq}, ${which}\n`);
      return 0;
    } finally {
      bar?.stop();
    }
  });
}
