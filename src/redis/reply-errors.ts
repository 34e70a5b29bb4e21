/**
 * The one place that maps Redis and Lua replies to the error classes of src/errors.ts, with a
 * message naming the cause and the fix; secrets are redacted from every reply it quotes.
 */
import {
  DiscoveryTimeoutError,
  KeySlotError,
  MissingGroupError,
  MissingStreamError,
  NodeUnavailableError,
  RedisAuthError,
  RedisUnavailableError,
  redact,
  SettingsError,
  WrongTypeError,
  type ReplyContext,
} from '../errors';

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
