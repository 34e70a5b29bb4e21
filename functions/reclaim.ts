/**
 * The timer function: settings → shared client → run → summary logged as one JSON line.
 * An invocation whose run could not do its job throws, so the host records a failure;
 * `failed > 0` or `complete: false` (budget spent, or the host shutting down) only warn — later
 * runs retry those entries.
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { failedTargets, runTargets, type RunSummary } from '../src/reclaim/run-targets';
import { TargetsFailedError } from '../src/errors';
import type { Settings } from '../src/config/settings';
import type { LogFields, Logger } from '../src/telemetry/logger';
import { FUNCTION_TIMEOUT_MS, runBudgetMs } from './budget';
import { discardClientAfter, getWorker, safeError, warnUnknownSettings, tracked, workerSettings } from './worker';

export async function reclaimHandler(timer: Timer, context: InvocationContext): Promise<RunSummary> {
  let settings: Settings | undefined;
  try {
    warnUnknownSettings((m) => context.warn(m));
    settings = workerSettings();
    if (timer?.isPastDue) {
      context.log(
        'reclaim: the timer is past due (an occurrence was missed, e.g. while the app was stopped); running now',
      );
    }
    const { client } = await getWorker();
    // Budget from MAX_RUN_SEC, capped so the run ends within host.json functionTimeout.
    const deadline = Date.now() + runBudgetMs(settings.maxRunMs, FUNCTION_TIMEOUT_MS);
    const run = { client, settings, deadline, logger: contextLogger(context) };
    const summary = await tracked((signal) => runTargets({ ...run, signal }));
    context.log(JSON.stringify(summary));
    if (summary.failed > 0 || !summary.complete) context.warn(`reclaim: ${unfinished(summary)}`);
    // Several targets: a failed one fails the invocation, after the summary is logged.
    const failed = failedTargets(summary);
    if (failed.length > 0) throw new TargetsFailedError(failed, summary);
    return summary;
  } catch (error) {
    discardClientAfter(error);
    const safe = safeError(error, settings);
    context.error(`reclaim failed: ${safe.message}`);
    throw safe;
  }
}

function unfinished(s: RunSummary): string {
  const parts: string[] = [];
  if (s.failed > 0) parts.push(`${s.failed} entries failed processing and stay pending for a later run`);
  const failedTargetCount = failedTargets(s).length;
  if (failedTargetCount > 0) parts.push(`${failedTargetCount} of ${s.targets?.length} targets failed`);
  if (s.stopReason === 'budget') parts.push('the time budget ran out before the PEL was covered; the next run resumes');
  if (s.stopReason === 'interrupted') {
    parts.push(
      'the host is shutting down (app terminate): the run stopped before the PEL was covered and settled its pages in flight; the next run resumes',
    );
  }
  return parts.join('; ');
}

/** The core's log lines go to the invocation's log, fields as JSON so they stay queryable. */
function contextLogger(context: InvocationContext): Logger {
  const line = (message: string, fields?: LogFields): string =>
    fields && Object.keys(fields).length > 0 ? `${message} ${JSON.stringify(fields)}` : message;
  return {
    info: (m, f) => context.log(line(m, f)),
    warn: (m, f) => context.warn(line(m, f)),
    error: (m, f) => context.error(line(m, f)),
  };
}
