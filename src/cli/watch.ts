/**
 * `stream-reclaimer watch`: a host-less local runner. Loads the built Functions app with the
 * worker stand-in and invokes the `reclaim` timer function on RECLAIM_SCHEDULE (6-field NCRONTAB,
 * UTC), one line per run, or with several targets a line per target and a totals line (`--json`:
 * one summary object per run and line, a run whose targets failed included), until Ctrl-C. Runs never
 * overlap: the next occurrence is computed after a run ends, so occurrences that pass during a
 * long run are skipped.
 */
import { functionsMainFile, provideAppSettings } from '../local/functions-app';
import { loadFunctionsApp } from '../local/worker-standin';
import { nextRuns } from '../config/schedule';
import { loadSettings } from '../config/settings';
import type { Summary } from '../reclaim/run';
import { isFailed, type RunSummary, type TargetSummary } from '../reclaim/run-targets';
import { interruptExitCode, type CliIO } from './io';
import { settingOverrides } from './run';

export interface WatchFlags {
  json?: boolean;
  dryRun?: boolean;
  stream?: string;
  group?: string;
}

export interface WatchOptions {
  /** Stop after this many runs (tests); unlimited by default. */
  maxRuns?: number;
  /** Clock (tests); the wall clock by default. */
  now?: () => Date;
}

export async function watchCommand(io: CliIO, options: WatchOptions = {}, flags: WatchFlags = {}): Promise<number> {
  const now = options.now ?? (() => new Date());
  const env = { ...io.env, ...settingOverrides(flags) };
  // Validate first: bad settings exit 2 before anything starts (the function would fail each run).
  const settings = loadSettings(env);
  provideAppSettings(env);
  // The function's errors are held until its run ends: a failed run is then told once, by its own line.
  let held: string[] = [];
  const app = await loadFunctionsApp(functionsMainFile(), {
    onLog: (log) => {
      if (/error|critical/.test(log.level)) held.push(`${log.level}: ${log.message}`);
      else if (/warning/.test(log.level)) io.stderr(`${now().toISOString()} ${log.level}: ${log.message}\n`);
    },
  });

  let stopping = false;
  let wake: (() => void) | undefined;
  let force: (() => void) | undefined;
  const forced = new Promise<'forced'>((resolve) => (force = () => resolve('forced')));
  let terminating: Promise<void> | undefined;
  let running = false;
  // First Ctrl-C: start no new run, let one in progress settle its in-flight work. Second: leave now.
  const removeInterrupt = io.onInterrupt((signal) => {
    if (stopping) {
      io.stderr(`interrupted again (${signal}): stopping now\n`);
      force?.();
      return;
    }
    stopping = true;
    if (running)
      io.stderr(`stopping (${signal}): the run in progress settles what is in flight; Ctrl-C again to stop at once\n`);
    wake?.();
    terminating ??= app.terminate();
  });
  const target = `${settings.streamName}/${settings.groupName}${settings.dryRun ? ' (dry run)' : ''}`;
  io.stderr(`watching: \`reclaim\` runs on \`${settings.schedule}\` (UTC) against ${target}; Ctrl-C to stop\n`);
  let runs = 0;
  let failures = 0;
  const loop = async (): Promise<void> => {
    while (!stopping && runs < (options.maxRuns ?? Infinity)) {
      const [next] = nextRuns(settings.schedule, 1, now());
      if (!next) break;
      if (next.getTime() - now().getTime() >= 5_000) io.stderr(`next run at ${next.toISOString()}\n`);
      while (!stopping && now().getTime() < next.getTime()) {
        // setTimeout holds at most ~24 days; long gaps are waited in slices.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(next.getTime() - now().getTime(), 3_600_000));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      if (stopping) break;
      runs++;
      held = [];
      running = true;
      const print = (summary: RunSummary): void => {
        const timestamp = now().toISOString();
        io.stdout(
          flags.json
            ? `${JSON.stringify({ timestamp, ...summary })}\n`
            : runLines(summary)
                .map((line) => `${timestamp} ${line}\n`)
                .join(''),
        );
      };
      try {
        const summary = (await app.invokeTimer('reclaim')) as RunSummary;
        for (const line of held) io.stderr(`${now().toISOString()} ${line}\n`);
        print(summary);
      } catch (error) {
        failures++;
        // Some targets failed: each target's result is still told (the failed ones with their error).
        const summary = summaryOf(error);
        if (summary) print(summary);
        const message = summary
          ? `${summary.targets?.filter(isFailed).length} of ${summary.targets?.length} targets failed`
          : error instanceof Error
            ? error.message
            : String(error);
        io.stderr(`${now().toISOString()} run failed: ${message}\n`);
      } finally {
        running = false;
      }
    }
  };
  const outcome = await Promise.race([loop().then(() => 'done' as const), forced]);
  removeInterrupt();
  if (outcome === 'forced') return interruptExitCode('SIGINT');
  await Promise.race([(terminating ??= app.terminate()), forced]);
  io.stderr(`stopped after ${runs} run${runs === 1 ? '' : 's'}${failures ? `, ${failures} failed` : ''}\n`);
  // Ctrl-C is how watch ends; it fails only when no run succeeded.
  return runs > 0 && failures === runs ? 1 : 0;
}

/** The summary a TargetsFailedError carries (the app is its own module instance: matched by name, not class). */
function summaryOf(error: unknown): RunSummary | undefined {
  const summary =
    error instanceof Error && error.name === 'TargetsFailedError'
      ? (error as { summary?: RunSummary }).summary
      : undefined;
  return summary?.targets ? summary : undefined;
}

/** A run's human lines: one for a single target; with several, one per target, then the totals. */
export function runLines(s: RunSummary): string[] {
  if (!s.targets) return [summaryLine(s)];
  const failed = s.targets.filter(isFailed).length;
  const total = `${summaryLine(s, 'total ')}; ${s.targets.length} targets${failed ? `, ${failed} failed` : ''}`;
  return [...s.targets.map(targetLine), total];
}

/** One target's line: its counts, or its error (and what it did before failing, if anything). */
export function targetLine(t: TargetSummary): string {
  if (!isFailed(t)) return `  ${summaryLine(t)}`;
  const did =
    t.scanned === undefined
      ? ''
      : ` (before: scanned ${t.scanned}, processed ${t.processed}, dead-lettered ${t.deadLettered})`;
  return `  ${t.stream}/${t.group}: FAILED: ${t.error}${did}`;
}

/** One human line per run (or per target, or the totals). */
function summaryLine(s: Summary, label = ''): string {
  const counts = `scanned ${s.scanned}, claimed ${s.claimed}, processed ${s.processed}, dead-lettered ${s.deadLettered}, failed ${s.failed}`;
  // Not complete yet covered: a target failed (its own line says which).
  const done = s.complete
    ? 'complete'
    : `incomplete (${s.stopReason === 'covered' ? 'a target failed' : s.stopReason})`;
  return `${s.dryRun ? 'DRY RUN ' : ''}${label}${s.stream}/${s.group}: ${counts}; ${(s.durationMs / 1000).toFixed(2)} s, ${done}`;
}
