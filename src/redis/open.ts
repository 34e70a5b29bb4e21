/**
 * Opening a created client: connect, prove the credentials (PING), arm the command timeout; a
 * failure disconnects it and throws a mapped, secret-free error naming the cause.
 */
import Redis, { Cluster } from 'ioredis';
import type { RedisClient } from './client';
import { DEFAULT_LIMITS, type ConnectionLimits, type ConnectionSettings } from './create-client';
import { mapRedisError } from './reply-errors';
import type { Settings } from '../config/settings';
import { replyContext } from '../config/run-target';

export type OpenSettings = ConnectionSettings & Pick<Settings, 'streamName' | 'groupName'>;

/** Opens a created client; on failure disconnects it and throws a mapped, secret-free error. */
export async function open(
  client: RedisClient,
  settings: OpenSettings,
  limits: ConnectionLimits = DEFAULT_LIMITS,
): Promise<void> {
  // ioredis rejects connect() with a generic "Connection is closed"; the socket error says why.
  let cause: unknown;
  const remember = (error: unknown): void => {
    cause ??= error;
  };
  client.on('error', remember);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const ms = limits.connectTimeoutMs * (limits.reconnectAttempts + 2);
    timer = setTimeout(() => reject(new Error(`connect ETIMEDOUT: no answer within ${ms} ms`)), ms);
  });
  const handshake = settings.redisTls && !(client instanceof Cluster) ? watchTlsHandshake(client, limits) : undefined;
  try {
    await Promise.race([client.connect().then(() => client.ping()), deadline, ...(handshake ? [handshake.stuck] : [])]);
    applyCommandTimeout(client, limits.commandTimeoutMs);
  } catch (error) {
    client.disconnect();
    const generic = error instanceof Error && /Connection is closed|max retries/i.test(error.message);
    throw mapRedisError(
      generic && cause ? cause : error,
      replyContext(settings, { stream: settings.streamName, group: settings.groupName }),
    );
  } finally {
    clearTimeout(timer);
    handshake?.cancel();
    client.off('error', remember);
  }
}

/**
 * A plain server reads a TLS hello as an unfinished command and answers nothing, so a handshake
 * would wait for the connect timeout and say only ETIMEDOUT. Rejects when the TCP connection is
 * up but the handshake has not finished after `tlsHandshakeMs`.
 */
function watchTlsHandshake(client: Redis, limits: ConnectionLimits): { stuck: Promise<never>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const ms = limits.tlsHandshakeMs ?? DEFAULT_LIMITS.tlsHandshakeMs ?? 2_000;
  const stuck = new Promise<never>((_, reject) => {
    const check = (): void => {
      const tcpUp = client.stream !== undefined && !client.stream.connecting;
      if (client.status === 'connecting' && tcpUp) {
        reject(
          Object.assign(new Error(`no TLS handshake within ${ms} ms: the server does not seem to speak TLS`), {
            code: 'ERR_TLS_HANDSHAKE_TIMEOUT',
          }),
        );
      } else if (client.status === 'connecting') timer = setTimeout(check, 100);
    };
    timer = setTimeout(check, ms);
  });
  stuck.catch(() => undefined);
  return { stuck, cancel: () => clearTimeout(timer) };
}

function applyCommandTimeout(client: RedisClient, ms: number): void {
  if (client instanceof Cluster) {
    // In place: the connection pool keeps a reference to redisOptions for nodes it opens later.
    client.options.redisOptions = Object.assign(client.options.redisOptions ?? {}, { commandTimeout: ms });
    for (const node of client.nodes('all')) node.options.commandTimeout = ms;
  } else {
    client.options.commandTimeout = ms;
  }
}
