/**
 * `stream-reclaimer watch`: a host-less local runner. Loads the built Functions app with the
 * worker stand-in and invokes the `reclaim` timer function on RECLAIM_SCHEDULE (6-field NCRONTAB,
 * UTC), one summary line per run, until Ctrl-C. Runs never overlap: the next occurrence is
 * computed after a run ends, so occurrences that pass during a long run are skipped.
 */
import type { Command } from 'commander';
import { functionsMainFile, provideAppSettings } from '../local/functions-app';
import { loadFunctionsApp } from '../local/worker-standin';
import { nextRuns } from '../config/schedule';
import { loadSettings } from '../config/settings';
import type { CliIO } from './io';

export interface WatchOptions {
  /** Stop after this many runs (tests); unlimited by default. */
  maxRuns?: number;
}

export function registerWatch(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command('watch')
    .description('run the timer function on RECLAIM_SCHEDULE until Ctrl-C (local stand-in for the Functions host)')
    .action(async () => done(await watchCommand(io)));
}

export async function watchCommand(io: CliIO, options: WatchOptions = {}): Promise<number> {
  // Validate first: bad settings exit 2 before anything starts (the function would fail each run).
  const settings = loadSettings(io.env);
  const main = functionsMainFile();
  provideAppSettings(io.env);
  const app = await loadFunctionsApp(main, {
    // The summary is printed below; the function's warnings and errors go to stderr.
    onLog: (log) => /warning|error|critical/.test(log.level) && io.stderr(`${stamp()} ${log.level}: ${log.message}\n`),
  });

  let stopping = false;
  let wake: (() => void) | undefined;
  let terminating: Promise<void> | undefined;
  // Ctrl-C: stop waiting, and let a run in progress finish its in-flight work and report.
  const removeInterrupt = io.onInterrupt(() => {
    stopping = true;
    wake?.();
    terminating ??= app.terminate();
  });
  io.stderr(`watching: \`reclaim\` runs on \`${settings.schedule}\` (UTC) against ${settings.streamName}/${settings.groupName}; Ctrl-C to stop\n`);
  let runs = 0;
  try {
    while (!stopping && runs < (options.maxRuns ?? Infinity)) {
      const [next] = nextRuns(settings.schedule, 1, new Date());
      if (!next) break;
      while (!stopping && Date.now() < next.getTime()) {
        // setTimeout holds at most ~24 days; long gaps are waited in slices.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(next.getTime() - Date.now(), 3_600_000));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (stopping) break;
      runs++;
      try {
        const summary = await app.invokeTimer('reclaim');
        io.stdout(`${stamp()} ${JSON.stringify(summary)}\n`);
      } catch (error) {
        io.stderr(`${stamp()} run failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  } finally {
    removeInterrupt();
    await (terminating ??= app.terminate());
  }
  io.stderr(`stopped after ${runs} run${runs === 1 ? '' : 's'}\n`);
  return 0;
}

const stamp = (): string => new Date().toISOString();
