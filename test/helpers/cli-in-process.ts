/**
 * The CLI's `main` in this process with captured output (`runCliInProcess`): fast, for the
 * operator commands' output. Its child-process twin, the built CLI, is `runCli` (cli.ts).
 */
import { main } from '../../src/cli/index';
import type { CliIO } from '../../src/cli/io';

export interface InProcessCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `stream-reclaimer <args>` in this process; stdout is not a terminal unless `isTTY`. */
export async function runCliInProcess(
  args: string[],
  env: Record<string, string>,
  isTTY = false,
): Promise<InProcessCliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    isTTY,
    onInterrupt: () => () => undefined,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
