/**
 * The command line's shape: every command, its options and its help. A command's work is
 * imported only when that command runs, so `--help` (and a usage error) reads the bundle but runs
 * none of the Redis client, the reclaim pipeline or the local runner (tested:
 * test/integration/cli.test.ts, by the Node modules a `--help` process has loaded).
 * The defaults quoted in the help come from light modules for the same reason.
 */
import { Option, type Command } from 'commander';
import { DURATION_EXAMPLES } from '../config/duration';
import { DEAD_LETTER_REASONS } from '../redis/record';
import type { CliIO } from './io';
import { DEFAULT_ACL_USER } from '../ops/acl';
import { DEFAULT_REASON_SAMPLE } from '../ops/stats';
import { DEFAULT_LIST_COUNT, parseCountFlag } from './dlq-common';
import type { AclFlags } from './acl';
import type { DlqFlags } from './dlq-common';
import type { PurgeFlags } from './dlq-purge';
import type { ReplayFlags } from './dlq-replay';
import type { RunFlags } from './run';
import type { StatsFlags } from './stats';
import type { WatchFlags } from './watch';

type Done = (code: number) => void;
const SET_STREAM = ['-s, --stream <name>', 'override STREAM_NAME'] as const;
const SET_GROUP = ['-g, --group <name>', 'override STREAM_CONSUMER_GROUP_NAME'] as const;
const DRY_RUN = ['--dry-run', 'report what would be done, change nothing'] as const;

export function registerCommands(program: Command, io: CliIO, done: Done): void {
  program
    .command('run')
    .description('one run: scan, dead-letter, claim, process, acknowledge; prints the summary')
    .option('--json', 'print the summary as one JSON line')
    .option(...DRY_RUN)
    .option(...SET_STREAM)
    .option(...SET_GROUP)
    .option(
      '--otlp <url>',
      'export traces and metrics over OTLP/HTTP to this base URL (default: OTEL_EXPORTER_OTLP_ENDPOINT)',
    )
    .action(async (flags: RunFlags) => done(await (await import('./run')).runAction(flags, io)));

  program
    .command('stats')
    .description('the group at a glance: pending entries, consumers, lag, dead letters')
    .option('--json', 'print one JSON object (fields documented in docs/operations.md)')
    .option('--sample <n>', `newest dead-letter records to count reasons in (default ${DEFAULT_REASON_SAMPLE})`)
    .option(...SET_STREAM)
    .option(...SET_GROUP)
    .action(async (flags: StatsFlags) => done(await (await import('./stats')).statsCommand(flags, io)));

  registerDlq(program, io, done);

  program
    .command('acl')
    .description('print the least-privilege ACL SETUSER command for these settings and the server version')
    .option('--user <name>', `the ACL user to create (default ${DEFAULT_ACL_USER})`)
    .option('--operator', 'also allow what stats and dlq list|replay|purge need')
    .option('--redis-version <x.y>', 'print for this Redis version without connecting (Valkey 7.2+: 7.2)')
    .option('--stream <name>', 'override STREAM_NAME (a comma list allowed) and STREAM_PATTERN')
    .option(
      '--azure',
      'print the rule as an Azure access-policy permission string (custom data access policy, custom access string)',
    )
    .action(async (flags: AclFlags) => done(await (await import('./acl')).aclCommand(flags, io)));

  program
    .command('demo')
    .description(
      "start a throwaway local redis-server with crashed consumers' backlogs (two streams, three groups), run the timer function once over all of them, show what happened",
    )
    .action(async () => done(await (await import('./demo')).demoCommand(io)));

  program
    .command('watch')
    .description('run the timer function on RECLAIM_SCHEDULE until Ctrl-C (local stand-in for the Functions host)')
    .option('--json', 'one summary object per run and line, with a `timestamp` field')
    .option(...DRY_RUN)
    .option(...SET_STREAM)
    .option(...SET_GROUP)
    .action(async (flags: WatchFlags) => done(await (await import('./watch')).watchCommand(io, {}, flags)));
}

function registerDlq(program: Command, io: CliIO, done: Done): void {
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
      .addOption(new Option('--reason <reason>', 'only records with this dlq.reason').choices(DEAD_LETTER_REASONS))
      .option('--dry-run', 'show what would be done, change nothing');
  common(
    dlq.command('list').description('records, oldest first'),
    `at most this many records (default ${DEFAULT_LIST_COUNT})`,
  ).action(async (flags: DlqFlags) => done(await (await import('./dlq-list')).listCommand(flags, io)));
  common(
    dlq
      .command('replay')
      .description('put records back on their source stream (original fields, exactly) and delete them'),
    'the oldest n records',
  )
    .option('--id <id...>', 'these record IDs (like 1700000000000-0)')
    .action(async (flags: ReplayFlags) => done(await (await import('./dlq-replay')).replayCommand(flags, io)));
  common(
    dlq.command('purge').description('delete records (all matching, or those older than --older-than)'),
    'the oldest n matching records',
  )
    .option('--older-than <duration>', `only records added longer ago than this: ${DURATION_EXAMPLES}`)
    .option('-y, --yes', 'really delete (without it, only say what would be deleted)')
    .action(async (flags: PurgeFlags) => done(await (await import('./dlq-purge')).purgeCommand(flags, io)));
}
