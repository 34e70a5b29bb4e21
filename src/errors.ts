/**
 * Small error classes every layer throws, and what a message about a reply needs (its context,
 * redaction). Messages name what is wrong and what is expected; they never carry a secret. Turning a
 * Redis or Lua reply into one of these classes is src/redis/reply-errors.ts's.
 */

/** Bad configuration: every problem found, one per line. CLI exit 2. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid settings:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Bad command-line usage. CLI exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The server could not be reached, refused us, or failed mid-run. CLI exit 1. */
export class RedisUnavailableError extends Error {
  override readonly name: string = 'RedisUnavailableError';
}

/**
 * A cluster node stayed unreachable (no replica took over) past the run's time budget. Names
 * the node, not `REDIS_HOST`: the seed node may be fine.
 */
export class NodeUnavailableError extends RedisUnavailableError {
  override readonly name: string = 'NodeUnavailableError';
  constructor(
    message: string,
    readonly node: string,
  ) {
    super(message);
  }
}

/** Credentials refused (WRONGPASS / NOAUTH / NOPERM). */
export class RedisAuthError extends Error {
  override readonly name: string = 'RedisAuthError';
}

/**
 * `REDIS_AUTH=entra`: no Microsoft Entra token could be had for Redis. A kind of credentials
 * failure, so callers that answer "Redis refused us" (CLI exit 1, `/api/status` 503) need no
 * case of their own.
 */
export class EntraTokenError extends RedisAuthError {
  override readonly name: string = 'EntraTokenError';
}

/**
 * `STREAM_PATTERN` discovery (SCAN over every master) did not finish within `MAX_RUN_SEC`: no
 * target was run. A budget that cannot even list the streams is a setting to change, not a
 * partial run to report as success.
 */
export class DiscoveryTimeoutError extends Error {
  override readonly name = 'DiscoveryTimeoutError';
}

/** The stream or the consumer group does not exist. */
export class MissingGroupError extends Error {
  override readonly name: string = 'MissingGroupError';
}

/** The stream itself does not exist (told apart from a missing group wherever a reply or a check says which). */
export class MissingStreamError extends MissingGroupError {
  override readonly name = 'MissingStreamError';
}

/** The stream key holds another type (WRONGTYPE). */
export class WrongTypeError extends Error {
  override readonly name = 'WrongTypeError';
}

/** Keys that must share one cluster slot do not. */
export class KeySlotError extends Error {
  override readonly name = 'KeySlotError';
}

/**
 * Thrown by a processor for an entry that can never be processed: the entry is dead-lettered
 * with reason `processing-error` instead of being retried.
 */
export class UnprocessableEntryError extends Error {
  override readonly name = 'UnprocessableEntryError';
}

/**
 * A custom processor was given with RECLAIM_ACTION `requeue` or `dead-letter-only`, which call no
 * processor: refused before any Redis command rather than silently ignoring the processor.
 */
export class ActionProcessorError extends Error {
  override readonly name = 'ActionProcessorError';
}

/** `renewLease` was called with bad arguments: every problem, one per line; nothing was sent. */
export class LeaseArgumentError extends Error {
  override readonly name = 'LeaseArgumentError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid renewLease arguments:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * Some targets of a run over several failed (each with its own error, in the summary); the others
 * ran. `summary` is the run's whole summary, so a caller (`watch`) can still tell each target's result.
 */
export class TargetsFailedError extends Error {
  override readonly name = 'TargetsFailedError';
  constructor(
    readonly failed: readonly { stream: string; group: string; error: string }[],
    readonly summary?: object,
  ) {
    super(`${failed.length} target(s) failed: ${failed.map((t) => `${t.stream} / ${t.group}: ${t.error}`).join('; ')}`);
  }
}

export interface ReplyContext {
  /** Secret-free description of the server (`host:port` or socket path). */
  server: string;
  stream: string;
  group: string;
  /** The dead-letter stream, named when a script finds that key of another type. */
  deadLetter?: string;
  /** Strings that must never appear in a message (passwords, tokens). */
  secrets?: readonly (string | undefined)[];
}

/** Remove every secret from a text. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 1) out = out.split(secret).join('<redacted>');
  }
  return out;
}
