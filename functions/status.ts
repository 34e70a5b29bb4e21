/**
 * GET /api/status (function-level auth: needs a function or host key): the `stats --json` object
 * of the configured group (several targets: `{ targets: [...] }`, `partial: true` with a `reason`
 * when finding the streams of a pattern took longer than STATUS_DISCOVERY_MS), so a dashboard can
 * read the group's health from the deployed app.
 * Uses the worker's shared client. Failures answer with a JSON `{ error }` and a status code
 * instead of an empty 500, and are logged; the message never carries a secret.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { isSingleTarget, type Settings } from '../src/config/settings';
import { collectStats, DEFAULT_REASON_SAMPLE } from '../src/ops/stats';
import { collectTargetStatus, STATUS_DISCOVERY_MS } from '../src/ops/target-stats';
import { statusFor } from './http-status';
import { discardClientAfter, getWorker, safeError, warnUnknownSettings, workerSettings } from './worker';

/**
 * `bound`: how long discovery of `STREAM_PATTERN` may take (STATUS_DISCOVERY_MS), on which clock;
 * past it the answer lists the streams found so far with `partial: true` and the `reason`.
 */
export async function statusHandler(
  request: HttpRequest,
  context: InvocationContext,
  bound: { discoveryMs: number; now: () => number } = { discoveryMs: STATUS_DISCOVERY_MS, now: Date.now },
): Promise<HttpResponseInit> {
  let settings: Settings | undefined;
  try {
    warnUnknownSettings((m) => context.warn(m));
    settings = workerSettings();
    const sample = sampleOf(request.query.get('sample'));
    if (sample === undefined) {
      return {
        status: 400,
        jsonBody: {
          error: `Expected query parameter \`sample\` to be an integer from 0 to 1000, got \`${request.query.get('sample')}\``,
        },
      };
    }
    const { client } = await getWorker();
    // Several targets: `{ targets: [...] }`, one stats object (or `{stream, group, error}`) each,
    // and `partial`/`reason` when discovery took longer than its bound.
    const body = isSingleTarget(settings.targets)
      ? await collectStats(client, settings, { sample })
      : await collectTargetStatus(client, settings, { sample, ...bound });
    return { status: 200, jsonBody: body, headers: { 'cache-control': 'no-store' } };
  } catch (error) {
    discardClientAfter(error);
    const safe = safeError(error, settings);
    context.error(`status failed: ${safe.message}`);
    return { status: statusFor(error), jsonBody: { error: safe.message } };
  }
}

/** `?sample=N` (0–1000), default the CLI's; undefined when malformed. */
function sampleOf(text: string | null): number | undefined {
  if (text === null || text === '') return DEFAULT_REASON_SAMPLE;
  return /^\d+$/.test(text) && Number(text) <= 1000 ? Number(text) : undefined;
}
