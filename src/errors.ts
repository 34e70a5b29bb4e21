/**
 * Small error classes, and the one place that maps Redis and Lua replies to them.
 * Messages name what is wrong and what is expected; they never carry a secret.
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

/**
 * A missing consumer group. With the stream's groups (our own check found the stream), the
 * message says exactly that the group is missing; without them (a NOGROUP reply, which does not
 * say which of the two is missing), it names both.
 */
export function missingGroupError(
  ctx: Pick<ReplyContext, 'server' | 'stream' | 'group'>,
  groups?: readonly string[],
): MissingGroupError {
  if (groups === undefined) {
    return new MissingGroupError(
      `Stream \`${ctx.stream}\` or its consumer group \`${ctx.group}\` does not exist on ${ctx.server} ` +
        `(create it with XGROUP CREATE ${ctx.stream} ${ctx.group} $ MKSTREAM)`,
    );
  }
  const known = groups.length > 0 ? `its groups: ${groups.join(', ')}` : 'it has no groups';
  return new MissingGroupError(
    `Stream \`${ctx.stream}\` on ${ctx.server} has no consumer group \`${ctx.group}\` (${known}): ` +
      `check \`STREAM_CONSUMER_GROUP_NAME\`, or create the group with XGROUP CREATE ${ctx.stream} ${ctx.group} $`,
  );
}

/** The stream key itself does not exist (XINFO on a missing key: `no such key`). */
export function missingStreamError(ctx: Pick<ReplyContext, 'server' | 'stream' | 'group'>): MissingStreamError {
  return new MissingStreamError(
    `Stream \`${ctx.stream}\` does not exist on ${ctx.server}: check \`STREAM_NAME\`, ` +
      `or create the stream with its consumer group with XGROUP CREATE ${ctx.stream} ${ctx.group} $ MKSTREAM`,
  );
}

/** A dead-letter key of another type; `detail` says what was found. Nothing was written. */
export function deadLetterTypeError(
  ctx: Pick<ReplyContext, 'server'> & { deadLetter: string },
  detail: string,
): WrongTypeError {
  return new WrongTypeError(
    `Dead-letter key \`${ctx.deadLetter}\` on ${ctx.server} is not a stream (${detail}); ` +
      `nothing was written: remove or rename that key, or set \`DEAD_LETTER_STREAM\` to another key`,
  );
}

/** Map an error from ioredis or a script to one of ours, with a message naming the cause. */
export function mapRedisError(error: unknown, ctx: ReplyContext): Error {
  // Already ours, with a message naming the cause: kept as they are (types stay end to end).
  const typed = [
    SettingsError,
    MissingGroupError,
    WrongTypeError,
    KeySlotError,
    RedisAuthError,
    NodeUnavailableError,
    DiscoveryTimeoutError,
  ];
  if (typed.some((type) => error instanceof type)) return error as Error;
  const raw = redact(error instanceof Error ? error.message : String(error), ctx.secrets);
  const code = (error as { code?: string } | undefined)?.code;
  // NOGROUP (XREADGROUP, XCLAIM, a script) may mean either; `no such key` alone is XINFO on a missing stream.
  if (/NOGROUP/.test(raw)) return missingGroupError(ctx);
  if (/no such key/i.test(raw)) return missingStreamError(ctx);
  if (/^WRONGTYPE dead-letter key/.test(raw) && ctx.deadLetter !== undefined) {
    return deadLetterTypeError({ server: ctx.server, deadLetter: ctx.deadLetter }, raw.replace(/^WRONGTYPE /, ''));
  }
  if (/^WRONGTYPE/.test(raw)) {
    return new WrongTypeError(`Key \`${ctx.stream}\` on ${ctx.server} is not a stream (${raw})`);
  }
  if (/^OOM|\bOOM command not allowed/.test(raw)) {
    return new RedisUnavailableError(
      `Redis at ${ctx.server} is out of memory (maxmemory reached): ${raw}; the refused step changed nothing, ` +
        `and the next run completes once memory is available`,
    );
  }
  if (/^(WRONGPASS|NOAUTH|NOPERM|ERR AUTH|ERR invalid password)/i.test(raw)) {
    const hint = /^(WRONGPASS|ERR AUTH|ERR invalid password|NOAUTH)/i.test(raw)
      ? ' (check `REDIS_USERNAME` and `REDIS_PASSWORD`)'
      : '';
    return new RedisAuthError(`Redis at ${ctx.server} refused the credentials or a command: ${raw}${hint}`);
  }
  if (
    /certificate|self[- ]signed|CERT_|UNABLE_TO_VERIFY|ERR_TLS/i.test(raw) ||
    (code && /^(CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_TLS)/.test(code))
  ) {
    return new RedisUnavailableError(
      `TLS to Redis at ${ctx.server} failed: ${raw} (a private CA goes in \`REDIS_TLS_CA_FILE\`; \`REDIS_TLS=false\` turns TLS off)`,
    );
  }
  if (/^Protocol error, got "[<H]"/.test(raw)) {
    return new RedisUnavailableError(
      `${ctx.server} answered like an HTTP server, not Redis: check the port in \`REDIS_HOST\``,
    );
  }
  if (code && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EPIPE|ENOENT|EHOSTUNREACH)$/.test(code)) {
    return new RedisUnavailableError(`Cannot reach Redis at ${ctx.server}: ${raw}`);
  }
  if (
    /Connection is closed|timed out|Reached the max retries|Stream isn't writeable|connect ETIMEDOUT|Failed to refresh slots|None of startup nodes/i.test(
      raw,
    )
  ) {
    return new RedisUnavailableError(`Lost or could not open the connection to Redis at ${ctx.server}: ${raw}`);
  }
  const mapped = new Error(`Redis at ${ctx.server} failed: ${raw}`);
  return mapped;
}

/** Remove every secret from a text. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 1) out = out.split(secret).join('<redacted>');
  }
  return out;
}
