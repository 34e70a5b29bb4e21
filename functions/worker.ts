/**
 * Per-worker state of the Functions app: settings validated once (the result or the error is
 * cached, so bad settings fail every invocation with the same clear message and no Redis command
 * is ever sent), and one Redis connection shared by every function of this worker process.
 * `functions/status.ts` reuses it through `getWorker()`.
 */
import { app } from '@azure/functions';
import type { RedisClient } from '../src/redis/connection';
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
  // The Redis client is imported with the first connection, not when the host loads the app.
  const attempt = import('../src/redis/connection').then(({ connect }) => connect(settings));
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
  void dropped?.then(
    (c) => c.disconnect(),
    () => undefined,
  );
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

/** What `closeWorker` did, for the shutdown line. */
export interface Closed {
  /** Runs that were in flight and were asked to stop (each settled before the client closed). */
  readonly runsStopped: number;
  /** Whether a Redis client was open and has been closed. */
  readonly clientClosed: boolean;
}

/** App terminate: stop runs starting new pages, let in-flight work settle, close the connection. */
export async function closeWorker(): Promise<Closed> {
  const runs = [...running];
  for (const run of runs) run.abort.abort();
  await Promise.all(runs.map((r) => r.done));
  const closing = clientPromise;
  clientPromise = undefined;
  const client = await closing?.catch(() => undefined);
  if (!client) return { runsStopped: runs.length, clientClosed: false };
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
  return { runsStopped: runs.length, clientClosed: true };
}

/**
 * The one line a clean shutdown leaves in the host's log. Console output of the worker is what
 * the host records outside any invocation (category Host.Function.Console); telemetry is shut
 * down by then, so this line cannot go through it.
 */
export function shutdownLine(closed: Closed | undefined, telemetry: boolean): string {
  const runs = closed?.runsStopped ?? 0;
  const client =
    closed === undefined
      ? 'Redis client not closed (closing failed)'
      : closed.clientClosed
        ? 'Redis client closed'
        : 'no Redis client open';
  return `host shutting down: ${runs} run${runs === 1 ? '' : 's'} stopped, ${client}, ${telemetry ? 'telemetry flushed' : 'telemetry off'}`;
}

// The app's only appTerminate hook (one registration per worker, whichever function file imports
// this module first). Order matters and is spelled out here: the runs stop, so their summary
// spans end, and the client closes; only then is telemetry flushed and shut down. The host has
// already drained running invocations before it runs this (docs/observability.md), so runs
// stopped here are those it gave up waiting for.
app.hook.appTerminate(async () => {
  let closed: Closed | undefined;
  try {
    closed = await closeWorker();
  } finally {
    const telemetry = await shutdownTelemetry();
    console.log(shutdownLine(closed, telemetry));
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
