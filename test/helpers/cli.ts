/**
 * The built CLI (`bin/stream-reclaimer.js`) as a child process (`runCli`, `spawnCli`), for tests
 * of its output, exit codes and signals. Its in-process twin is `runCliInProcess`
 * (cli-in-process.ts), kept apart so these tests don't load the CLI's modules.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Where a finished CLI's output is recorded (the secret scans read it). */
export interface OutputSink {
  add(label: string, text: string): void;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Resolves once stderr has shown `pattern` (a progress cue to act on); rejects if the CLI exits first. */
  stderrShows(pattern: RegExp): Promise<void>;
}

/** Spawns `bin/stream-reclaimer.js` with exactly `env` (plus PATH); output is logged when done. */
export function spawnCli(args: string[], env: Record<string, string>, log?: OutputSink): CliProcess {
  const started = Date.now();
  const child = spawn(process.execPath, ['bin/stream-reclaimer.js', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      log?.add(`cli ${args.join(' ')} stdout`, stdout);
      log?.add(`cli ${args.join(' ')} stderr`, stderr);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  const stderrShows = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pattern.test(stderr)) return;
        child.stderr?.off('data', check);
        resolve();
      };
      child.stderr?.on('data', check);
      check();
      void done.then(() =>
        pattern.test(stderr)
          ? resolve()
          : reject(new Error(`the CLI exited before stderr showed ${pattern}:\n${stderr}`)),
      );
    });
  return { child, done, stderrShows };
}

export const runCli = (args: string[], env: Record<string, string>, log?: OutputSink): Promise<CliResult> =>
  spawnCli(args, env, log).done;
