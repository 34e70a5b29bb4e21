/** The `stream-reclaimer` command line. Exit codes: 0 done, 1 Redis or runtime failure, 2 usage or settings. */
import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { redact } from '../errors';
import { secretValues } from '../config/run-target';
import { unknownSettingWarnings } from '../config/unknown-settings';
import { exitCodeFor, processIO, type CliIO } from './io';
import { HELP_AFTER, SUBCOMMAND_HELP_AFTER } from './help';
import { registerCommands } from './commands';

/** The commands that read the settings from the environment. */
const SETTINGS_COMMANDS = new Set(['run', 'stats', 'dlq', 'acl']);

export function buildProgram(io: CliIO, done: (code: number) => void): Command {
  const program = new Command('stream-reclaimer')
    .description(
      'Reclaim idle pending entries of a Redis Streams consumer group. Settings come from the environment (see below and README).',
    )
    .version(version, '-v, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText('after', HELP_AFTER);

  registerCommands(program, io, done);
  // A usage error is one line and a pointer, like kubectl's, not the whole help.
  const pointAtHelp = (command: Command, path: string): void => {
    command.showHelpAfterError(`(run \`${path} --help\` for usage)`);
    if (command !== program) command.addHelpText('after', SUBCOMMAND_HELP_AFTER);
    for (const sub of command.commands) pointAtHelp(sub, `${path} ${sub.name()}`);
  };
  pointAtHelp(program, 'stream-reclaimer');
  return program;
}

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    // No arguments: the help on stdout, exit 0, as kubectl does (so `stream-reclaimer | less` works).
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    // `watch` runs the function app, which warns itself; `demo` makes its own settings.
    if (SETTINGS_COMMANDS.has(argv[0] ?? ''))
      for (const w of unknownSettingWarnings(io.env)) io.stderr(`warning: ${w}\n`);
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`stream-reclaimer: ${redact(message, secretValues(io.env))}\n`);
    return exitCodeFor(error);
  }
}
