/** `stream-reclaimer dlq list|replay|purge`: look at, replay and delete dead-letter records. */
import { Option, type Command } from 'commander';
import { selectRecords } from '../ops/dlq';
import { UsageError } from '../errors';
import { DURATION_EXAMPLES } from '../config/duration';
import { withClient, type CliIO } from './io';
import { dlqScope } from './dlq-scope';
import {
  DEFAULT_LIST_COUNT,
  REASONS,
  deadLetterExists,
  describeFilter,
  filterOf,
  formatRecords,
  parseCountFlag,
  recordToJson,
  type DlqFlags,
} from './dlq-common';
import { replayCommand } from './dlq-replay';
import { purgeCommand } from './dlq-purge';
import { exactJson } from './exact-json';

export function registerDlq(program: Command, io: CliIO, done: (code: number) => void): void {
  const dlq = program.command('dlq').description('dead-letter records: list, replay onto the source stream, purge');
  const common = (c: Command, count: string): Command =>
    c
      .option('--json', 'machine-readable output on stdout')
      .option(
        '-s, --stream <name>',
        'this stream (the dead-letter stream is DEAD_LETTER_STREAM or <stream>:dlq); needed when STREAM_NAME lists several or STREAM_PATTERN is set, unless DEAD_LETTER_STREAM is',
      )
      .option(
        '-g, --group <name>',
        'only records of this group (dlq.group), a comma list, or * for every group (default STREAM_CONSUMER_GROUP_NAME, if set)',
      )
      .option('--all-groups', 'records of every group sharing the dead-letter stream')
      .option('--count <n>', count, parseCountFlag)
      .option('--all', 'every matching record')
      .addOption(new Option('--reason <reason>', 'only records with this dlq.reason').choices(REASONS))
      .option('--dry-run', 'show what would be done, change nothing');
  common(
    dlq.command('list').description('records, oldest first'),
    `at most this many records (default ${DEFAULT_LIST_COUNT})`,
  ).action(async (flags: DlqFlags) => done(await listCommand(flags, io)));
  common(
    dlq
      .command('replay')
      .description('put records back on their source stream (original fields, exactly) and delete them'),
    'the oldest n records',
  )
    .option('--id <id...>', 'these record IDs (like 1700000000000-0)')
    .action(async (flags: Parameters<typeof replayCommand>[0]) => done(await replayCommand(flags, io)));
  common(
    dlq.command('purge').description('delete records (all matching, or those older than --older-than)'),
    'the oldest n matching records',
  )
    .option('--older-than <duration>', `only records added longer ago than this: ${DURATION_EXAMPLES}`)
    .option('-y, --yes', 'really delete (without it, only say what would be deleted)')
    .action(async (flags: Parameters<typeof purgeCommand>[0]) => done(await purgeCommand(flags, io)));
}

export async function listCommand(flags: DlqFlags, io: CliIO): Promise<number> {
  if (flags.all && flags.count !== undefined) throw new UsageError('Expected one of `--count N` and `--all`, got both');
  const scope = dlqScope(flags, io);
  const filter = filterOf(flags, scope);
  const count = flags.all ? undefined : (flags.count ?? DEFAULT_LIST_COUNT);
  const { deadLetterStream: dlq, settings } = scope;
  const found = await withClient(
    settings,
    async (c) =>
      (await deadLetterExists(c, scope, io))
        ? selectRecords(c, dlq, { ...filter, count })
        : { records: [], matched: 0 },
    io,
  );
  const { records, matched } = found;
  const which = describeFilter(filter);
  if (records.length < matched)
    io.stderr(
      `showing ${records.length} of ${matched} records${which ? ` (${which})` : ''}; --all or --count N shows more\n`,
    );
  if (flags.json) io.stdout(records.map((r) => `${exactJson(recordToJson(r))}\n`).join(''));
  else
    io.stdout(
      records.length ? formatRecords(records) : `no dead-letter records in ${dlq}${which ? ` with ${which}` : ''}\n`,
    );
  return 0;
}
