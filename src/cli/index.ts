/** The `stream-reclaimer` command line. Exit codes: 0 done, 1 Redis or runtime failure, 2 usage or settings. */
import { Command, CommanderError } from 'commander';
import { redact } from '../errors';
import { exitCodeFor, processIO, type CliIO } from './io';
import { registerAcl } from './acl';
import { registerDemo } from './demo';
import { registerDlq } from './dlq';
import { registerRun } from './run';
import { registerStats } from './stats';
import { registerWatch } from './watch';

/** Each command lives in its own file and registers itself here. */
const COMMANDS = [registerRun, registerStats, registerDlq, registerAcl, registerDemo, registerWatch];

export function buildProgram(io: CliIO, done: (code: number) => void): Command {
  const program = new Command('stream-reclaimer')
    .description('Reclaim idle pending entries of a Redis Streams consumer group. Settings come from the environment (see README).')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  for (const register of COMMANDS) register(program, io, done);

  return program;
}

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`stream-reclaimer: ${redact(message, [io.env.REDIS_PASSWORD])}\n`);
    return exitCodeFor(error);
  }
}
