/**
 * One ioredis client (or Cluster) configured from settings: TLS, credentials, and bounded
 * timeouts and retries, so a run against a dead server fails fast instead of hanging.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { mapRedisError } from './reply-errors';
import { registerScripts } from './scripts';
import { declareSharded } from './topology';
import type { RedisClient } from './client';
import { entraLogin, startTokenRefresh, type EntraDeps } from './entra';
import { replaceLibraryWarnings, type ConnectionWarn } from './library-warnings';
import type { Settings } from '../config/settings';
import { replyContext } from '../config/run-target';

export type { RedisClient };
export { serverVersion, type ServerFlavor } from './server-version';
export type { ConnectionWarn } from './library-warnings';

/** Timeouts and retry bounds; tests may shorten them. */
export interface ConnectionLimits {
  /** @default 5000 */
  connectTimeoutMs: number;
  /** @default 30000 */
  commandTimeoutMs: number;
  /** Reconnect attempts after a dropped connection before giving up. @default 3 */
  reconnectAttempts: number;
  /** A TLS handshake unanswered this long after the TCP connect means a plain server. @default 2000 */
  tlsHandshakeMs?: number;
}

export const DEFAULT_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  connectTimeoutMs: 5_000,
  commandTimeoutMs: 30_000,
  reconnectAttempts: 3,
  tlsHandshakeMs: 2_000,
});

type ConnectionSettings = Pick<
  Settings,
  | 'redisHost'
  | 'redisPort'
  | 'redisPath'
  | 'redisPassword'
  | 'redisUsername'
  | 'redisTls'
  | 'redisTlsCaFile'
  | 'redisAuth'
  | 'redisCluster'
  | 'redisProxy'
>;

export function redisOptions(settings: ConnectionSettings, limits: ConnectionLimits = DEFAULT_LIMITS): RedisOptions {
  return {
    ...(settings.redisPath ? { path: settings.redisPath } : { host: settings.redisHost, port: settings.redisPort }),
    username: settings.redisUsername,
    password: settings.redisPassword,
    tls: settings.redisTls
      ? {
          // SNI takes a host name; an IP address there is deprecated (DEP0123).
          servername: settings.redisPath || isIP(settings.redisHost) ? undefined : settings.redisHost,
          ca: settings.redisTlsCaFile ? readFileSync(settings.redisTlsCaFile) : undefined,
        }
      : undefined,
    connectionName: 'stream-reclaimer',
    lazyConnect: true,
    connectTimeout: limits.connectTimeoutMs,
    // commandTimeout is applied by open() once connected: ioredis leaves the timer of its own
    // AUTH / ready check armed after a failed connect, which would hold the process open.
    // A command waits for at most one reconnect. Commands in flight when a connection drops are
    // sent again once it is back (ioredis's default): every script is fenced or idempotent, so a
    // repeat is harmless; at worst a re-sent general-path claim spends one more delivery.
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > limits.reconnectAttempts ? null : Math.min(100 * 2 ** times, 2_000)),
    reconnectOnError: () => false,
  };
}

/** Builds the client without connecting. */
export function createClient(settings: ConnectionSettings, limits: ConnectionLimits = DEFAULT_LIMITS): RedisClient {
  const options = redisOptions(settings, limits);
  let client: RedisClient;
  if (settings.redisCluster) {
    const { host: _host, port: _port, path: _path, retryStrategy: _retry, ...nodeOptions } = options;
    const clusterOptions: ClusterOptions = {
      redisOptions: { ...nodeOptions, lazyConnect: false },
      lazyConnect: true,
      // Azure Managed Redis announces node names that must be used as-is for TLS SNI.
      dnsLookup: (address, callback) => callback(null, address),
      // Resharding: a multi-key script (stream + DLQ/hash keys) gets TRYAGAIN while its slot is
      // half-migrated; ioredis retries it after retryDelayOnTryAgain via a random node (so each
      // retry may also cost a MOVED), all within maxRedirections. 64 covers ~3 s of migration.
      // MOVED/ASK are followed at once (retryDelayOnMoved 0), ASK with ASKING.
      maxRedirections: 64,
      retryDelayOnMoved: 0,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: limits.connectTimeoutMs,
      clusterRetryStrategy: (times) => (times > limits.reconnectAttempts ? null : Math.min(100 * 2 ** times, 2_000)),
    };
    client = new Cluster([{ host: settings.redisHost, port: settings.redisPort }], clusterOptions);
  } else {
    client = new Redis(options);
  }
  // Errors surface through the commands that fail; an unhandled 'error' event would crash the process.
  client.on('error', () => undefined);
  registerScripts(client);
  if (settings.redisProxy) declareSharded(client);
  return client;
}

type OpenSettings = ConnectionSettings & Pick<Settings, 'streamName' | 'groupName'>;

/** Connects and proves the credentials work (PING), mapping failures to clear errors. */
export async function connect(
  settings: OpenSettings & Partial<Pick<Settings, 'azureClientId'>>,
  limits: ConnectionLimits = DEFAULT_LIMITS,
  warn?: ConnectionWarn,
): Promise<RedisClient> {
  if (settings.redisAuth === 'entra') return connectWithEntra(settings, limits);
  const client = createClient(settings, limits);
  const restore = warn ? replaceLibraryWarnings(warn) : () => undefined;
  try {
    await open(client, settings, limits);
  } finally {
    restore();
  }
  return client;
}

/** What `connect()` hands over with `REDIS_AUTH=entra`; `azureClientId` picks a user-assigned identity when set. */
export type EntraSettings = OpenSettings & Partial<Pick<Settings, 'azureClientId'>>;

/** `REDIS_AUTH=entra` (src/redis/entra.ts): the token as the password, refreshed until the client ends. */
export async function connectWithEntra(
  settings: EntraSettings,
  limits: ConnectionLimits,
  deps: EntraDeps = {},
): Promise<RedisClient> {
  const { credential, token, username } = await entraLogin(settings.azureClientId, deps);
  // The token goes in as `redisPassword`, so open()'s error mapping redacts it.
  const auth = { ...settings, redisUsername: username, redisPassword: token.token };
  const client = createClient(auth, limits);
  await open(client, auth, limits);
  startTokenRefresh(client, credential, token, deps);
  return client;
}

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
