/**
 * Builds one ioredis client (or Cluster) from settings without connecting: TLS, credentials, and
 * bounded timeouts and retries, so a run against a dead server fails fast instead of hanging.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { registerScripts } from './scripts';
import { declareSharded } from './topology';
import type { RedisClient } from './client';
import type { Settings } from '../config/settings';

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

export type ConnectionSettings = Pick<
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
