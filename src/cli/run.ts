/** `stream-reclaimer run [--json] [--dry-run]`: one run, summary as text or one JSON line. */
import type { Summary } from '../reclaim/run';
import { failedTargets, isFailed, runTargets, type RunSummary, type TargetSummary } from '../reclaim/run-targets';
import type { Counts } from '../reclaim/counts';
import { isSingleTarget, loadSettings, SETTING_NAMES, type SettingName } from '../config/settings';
import { interruptExitCode, stderrLogger, withClient, type CliIO, type InterruptSignal } from './io';
import { startProgress, type Progress } from './progress';

export interface RunFlags {
  json?: boolean;
  dryRun?: boolean;
  /** OTLP/HTTP base URL; OTEL_EXPORTER_OTLP_ENDPOINT when absent. */
  otlp?: string;
  stream?: string;
  group?: string;
}

export function settingOverrides(
  flags: Pick<RunFlags, 'dryRun' | 'stream' | 'group'>,
): Partial<Record<SettingName, string>> {
  return {
    ...(flags.dryRun ? { DRY_RUN: 'true' } : {}),
    // --stream names the streams: a STREAM_PATTERN in the environment gives way to it.
    ...(flags.stream ? { STREAM_NAME: flags.stream, STREAM_PATTERN: '' } : {}),
    ...(flags.group ? { STREAM_CONSUMER_GROUP_NAME: flags.group } : {}),
  };
}

/** `run`'s action: with an OTLP endpoint (`--otlp` or OTEL_EXPORTER_OTLP_ENDPOINT), inside the SDK (src/cli/otel.ts, loaded only then). */
export async function runAction(flags: RunFlags, io: CliIO): Promise<number> {
  const endpoint = flags.otlp || io.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const run = (): Promise<number> => runCommand(flags, io);
  return endpoint ? (await import('./otel')).withOtlp(endpoint, run, (m) => io.stderr(`warning: ${m}\n`)) : run();
}

export async function runCommand(flags: RunFlags, io: CliIO): Promise<number> {
  // The schedule is the timer's, not a run's: a bad one must not block `run`.
  const settings = loadSettings(io.env, settingOverrides(flags), {
    use: SETTING_NAMES.filter((name) => name !== 'RECLAIM_SCHEDULE'),
  });
  return withClient(
    settings,
    async (client) => {
      const abort = new AbortController();
      const logger = stderrLogger(io);
      let interruptedBy: InterruptSignal | undefined;
      // The run stops starting pages and settles what is in flight; the first signal names the exit code.
      const removeInterrupt = io.onInterrupt((signal) => {
        if (interruptedBy) return;
        interruptedBy = signal;
        logger.warn(`interrupted (${signal}): starting no new pages, settling the pages in flight`);
        abort.abort();
      });
      // A missing group is reported by the run itself, with the settings to check.
      const single = isSingleTarget(settings.targets);
      const pending =
        single && io.terminal && !flags.json
          ? await pendingCount(client, settings.streamName, settings.groupName).catch(() => 0)
          : 0;
      let bar = startProgress(
        io,
        flags.json,
        'reclaiming [{bar}] {value}/{total} scanned | {eta_formatted} left',
        pending,
      );
      // Several targets: the bar counts targets done and shows the run's totals; each finished target is printed above it.
      let done = 0;
      let totals = totalsText(undefined);
      const several: Pick<Parameters<typeof runTargets>[0], 'onTargets' | 'onTargetDone' | 'onProgress'> = {
        onTargets: (count) =>
          (bar = startProgress(io, flags.json, 'targets [{bar}] {value}/{total} done | {totals}', count, { totals })),
        onTargetDone: (t) => {
          done++;
          bar?.log(targetLine(t, undefined));
          bar?.update(done, { totals });
        },
        onProgress: (counts) => {
          totals = totalsText(counts);
          bar?.update(done, { totals });
        },
      };
      try {
        const summary = await runTargets({
          client,
          settings,
          logger,
          signal: abort.signal,
          ...(single
            ? { onProgress: bar ? (counts: Readonly<Counts>) => (bar as Progress).update(counts.scanned) : undefined }
            : several),
        });
        bar?.stop();
        // A signal that came after the run had covered the PEL or spent its budget changed nothing: exit 0.
        const by = summary.stopReason === 'interrupted' ? interruptedBy : undefined;
        io.stdout(flags.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary, by));
        const failed = failedTargets(summary);
        if (failed.length > 0)
          io.stderr(
            `stream-reclaimer: ${failed.length} of ${summary.targets?.length} targets failed (see the summary)\n`,
          );
        if (!by) return failed.length > 0 ? 1 : 0;
        io.stderr(
          `stream-reclaimer: interrupted (${by}): pages in flight were settled, the rest stays pending for the next run\n`,
        );
        return interruptExitCode(by);
      } finally {
        bar?.stop();
        removeInterrupt();
      }
    },
    io,
  );
}

async function pendingCount(
  client: Parameters<Parameters<typeof withClient>[1]>[0],
  stream: string,
  group: string,
): Promise<number> {
  const reply = (await client.call('XPENDING', stream, group)) as [number, ...unknown[]];
  return Number(reply[0]) || 0;
}

/** Human summary: totals, then a line per target when there are several; `by` names the interrupting signal. */
export function formatSummary(s: RunSummary, by?: InterruptSignal): string {
  if (!s.targets) return formatOne(s, by);
  const lines = s.targets.map((t) => targetLine(t, by));
  return `${formatOne(s, by)}targets (${s.targets.length}):\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`;
}

/** One target's line: its counts, or its error and what it did before it failed. */
function targetLine(t: TargetSummary, by: InterruptSignal | undefined): string {
  if (!isFailed(t)) {
    return `  ${t.stream} / ${t.group}: ${t.processed} processed, ${t.deadLettered} dead-lettered, ${t.failed} failed, ${t.scanned} scanned, complete ${completeText(t, by)}`;
  }
  const did =
    t.scanned === undefined
      ? ''
      : ` (before that: ${t.processed} processed, ${t.deadLettered} dead-lettered, ${t.failed} failed, ${t.scanned} scanned)`;
  return `  ${t.stream} / ${t.group}: FAILED — ${t.error}${did}`;
}

/** The run's totals so far, for the progress bar. */
function totalsText(c: Readonly<Counts> | undefined): string {
  return `${c?.processed ?? 0} processed, ${c?.deadLettered ?? 0} dead-lettered, ${c?.failed ?? 0} failed, ${c?.scanned ?? 0} scanned`;
}

function formatOne(s: Summary, by?: InterruptSignal): string {
  const rows: [string, string | number][] = [
    ['scanned', s.scanned],
    ['claimed', s.claimed],
    ['processed', s.processed],
    ['dead-lettered', s.deadLettered],
    ['orphaned', s.orphaned],
    ['failed', s.failed],
    ['skipped', s.skipped],
    // The retry policy's counts, shown once it does something (RECLAIM_ACTION, RETRY_BACKOFF_MAX_SEC).
    ...(s.requeued > 0 ? [['requeued', s.requeued] as [string, number]] : []),
    ...(s.deferred > 0 ? [['deferred', s.deferred] as [string, number]] : []),
    ['deregistered', s.deregistered],
    ['duration', `${(s.durationMs / 1000).toFixed(2)} s`],
    ['complete', completeText(s, by)],
  ];
  const head = `${s.dryRun ? 'DRY RUN (nothing changed) — ' : ''}stream ${s.stream}, group ${s.group}\n`;
  return head + rows.map(([k, v]) => `  ${k.padEnd(14)} ${v}`).join('\n') + '\n';
}

function completeText(s: Summary, by: InterruptSignal | undefined): string {
  if (s.complete) return 'yes';
  if (s.stopReason === 'covered') return 'no — a target failed';
  const why = s.stopReason === 'interrupted' ? `interrupted${by ? ` (${by})` : ''}` : 'the budget ran out';
  return `no — ${why}; the next run resumes`;
}
