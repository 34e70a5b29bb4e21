/**
 * Per-worker state of the Functions app: settings validated once (the result or the error is
 * cached, so bad settings fail every invocation with the same clear message and no Redis command
 * is ever sent), and one Redis connection shared by every function of this worker process.
 * `functions/status.ts` reuses it through `getWorker()`.
 */
import { app } from '@azure/functions';
import { connect, type RedisClient } from '../src/redis/connection';
import { RedisAuthError, RedisUnavailableError, redact } from '../src/errors';
import { loadSettings, type Settings } from '../src/config/settings';
import { secretsOf, secretValues } from '../src/config/run-target';
import { unknownSettingWarnings } from '../src/config/unknown-settings';
import { shutdownTelemetry } from './telemetry';

export interface Worker {
  readonly settings: Settings;
  readonly client: RedisClient;
}

type SettingsResult = { ok: true; settings: Settings } | { ok: false; error: unknown };

let settingsResult: SettingsResult | undefined;
let clientPromise: Promise<RedisClient> | undefined;
/** Runs in flight, so app terminate can stop them starting new work before closing the client. */
const running = new Set<{ abort: AbortController; done: Promise<unknown> }>();

/** The worker's settings (from the app settings); throws the cached SettingsError when invalid. */
export function workerSettings(): Settings {
  if (!settingsResult) {
    try {
      settingsResult = { ok: true, settings: loadSettings() };
    } catch (error) {
      settingsResult = { ok: false, error };
    }
  }
  if (!settingsResult.ok) throw settingsResult.error;
  return settingsResult.settings;
}

let warned = false;

/**
 * Variables that look like settings and are none, each a warning on the first invocation of the
 * worker (once per worker, not once per run); the invocation goes on. The platform's own
 * variables (`FUNCTIONS_*`, `WEBSITE_*`, `AzureWebJobs*`) use none of the settings' prefixes.
 */
export function warnUnknownSettings(warn: (message: string) => void): void {
  if (warned) return;
  warned = true;
  for (const w of unknownSettingWarnings(process.env)) warn(`settings: ${w}`);
}

/** Settings plus the shared client: created on first use, reused, recreated once it has ended. */
export async function getWorker(): Promise<Worker> {
  const settings = workerSettings();
  // Two passes at most: a cached client that has ended is replaced once.
  for (let pass = 0; ; pass++) {
    clientPromise ??= startAttempt(settings);
    const attempt = clientPromise;
    const client = await attempt;
    // 'end' = closed for good (retries exhausted, or quit); any other status recovers by itself.
    if (client.status !== 'end' || pass > 0) return { settings, client };
    if (clientPromise === attempt) clientPromise = undefined;
  }
}

function startAttempt(settings: Settings): Promise<RedisClient> {
  const attempt = connect(settings);
  // A failed connect is not cached: the next invocation tries again.
  attempt.catch(() => {
    if (clientPromise === attempt) clientPromise = undefined;
  });
  return attempt;
}

/** Drops the shared client after a connection-level failure, so the next invocation reconnects. */
export function discardClientAfter(error: unknown): void {
  if (!(error instanceof RedisUnavailableError || error instanceof RedisAuthError)) return;
  const dropped = clientPromise;
  clientPromise = undefined;
  void dropped?.then((c) => c.disconnect(), () => undefined);
}

/** Tracks one run so `closeWorker` can ask it to stop and wait for it. */
export async function tracked<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const done = work(abort.signal);
  const entry = { abort, done: done.catch(() => undefined) };
  running.add(entry);
  try {
    return await done;
  } finally {
    running.delete(entry);
  }
}

/** App terminate: stop runs starting new pages, let in-flight work settle, close the connection. */
export async function closeWorker(): Promise<void> {
  for (const run of running) run.abort.abort();
  await Promise.all([...running].map((r) => r.done));
  const closing = clientPromise;
  clientPromise = undefined;
  const client = await closing?.catch(() => undefined);
  if (!client) return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

// The app's only appTerminate hook (one registration per worker, whichever function file imports
// this module first). Order matters and is spelled out here: the runs stop, so their summary
// spans end, and the client closes; only then is telemetry flushed and shut down.
app.hook.appTerminate(async () => {
  try {
    await closeWorker();
  } finally {
    await shutdownTelemetry();
  }
});

/** An error whose message is safe to log and to hand to the host (no secret in it). */
export function safeError(error: unknown, settings: Settings | undefined): Error {
  const err = error instanceof Error ? error : new Error(String(error));
  const clean = redact(err.message, settings ? secretsOf(settings) : secretValues(process.env));
  if (clean === err.message) return err;
  const copy = new Error(clean);
  copy.name = err.name;
  // What the error carries besides its message (a TargetsFailedError's summary, built from redacted messages) stays.
  if ('summary' in err) Object.assign(copy, { summary: err.summary });
  return copy;
}
