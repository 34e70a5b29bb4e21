/**
 * `REDIS_AUTH=entra`: authenticate with a Microsoft Entra ID token (managed identity) as the
 * password and the token's object ID as the user name, and re-AUTH every connection before the
 * token expires. A token never appears in a log line or an error message. The connecting itself
 * is `connectWithEntra` in connection.ts: this module only gets and refreshes tokens, so it
 * imports nothing from there (no cycle).
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './client';
import { EntraTokenError, redact } from '../errors';
import { REDIS_SCOPE, refreshDelayMs, retryDelayMs, tokenUsername } from './entra-token';
import { silentLogger, type Logger } from '../telemetry/logger';

/** Seams for tests: a fake credential, an injected clock and timers, a logger. */
export interface EntraDeps {
  credential?: Pick<TokenCredential, 'getToken'>;
  now?: () => number;
  random?: () => number;
  // `unknown` handles: Node returns a Timeout object, a fake clock anything it likes.
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  logger?: Logger;
}

/** The first token of a connection, with the credential that refreshes it and the user name it names. */
export interface EntraLogin {
  credential: Pick<TokenCredential, 'getToken'>;
  token: AccessToken;
  username: string;
}

/** Gets the first token (from `deps.credential`, else the managed identity `clientId` names). */
export async function entraLogin(clientId: string | undefined, deps: EntraDeps = {}): Promise<EntraLogin> {
  let credential: Pick<TokenCredential, 'getToken'>;
  let token: AccessToken;
  try {
    credential = deps.credential ?? (await defaultCredential(clientId));
    token = await fetchToken(credential, []);
  } catch (error) {
    // Typed here, where it ends a connect (503 from /api/status, CLI exit 1); a failed refresh
    // is only logged, with the message as it always read.
    throw new EntraTokenError(error instanceof Error ? error.message : String(error));
  }
  return { credential, token, username: tokenUsername(token.token) };
}

/** ManagedIdentityCredential for a user-assigned identity, else DefaultAzureCredential (local dev, system identity). */
async function defaultCredential(clientId: string | undefined): Promise<TokenCredential> {
  // Loaded lazily (a chunk of its own in the build, scripts/build.mjs): the password path and the
  // CLI's start-up never read @azure/identity. `require`, not `import()`: the chunk is CommonJS
  // whose exports Node's ESM loader cannot name.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const identity = require('@azure/identity') as typeof import('@azure/identity');
  return clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.DefaultAzureCredential();
}

async function fetchToken(
  credential: Pick<TokenCredential, 'getToken'>,
  secrets: readonly string[],
): Promise<AccessToken> {
  let token: AccessToken | null;
  try {
    token = await credential.getToken(REDIS_SCOPE);
  } catch (error) {
    throw new Error(
      `Could not get a Microsoft Entra token for Redis (scope ${REDIS_SCOPE}): ${describe(error, secrets)}`,
    );
  }
  if (!token?.token)
    throw new Error(`The credential returned no Microsoft Entra token for Redis (scope ${REDIS_SCOPE})`);
  return token;
}

/** `Name: message` with every known secret removed; never the error's other properties (ioredis keeps command args there). */
function describe(error: unknown, secrets: readonly (string | undefined)[]): string {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return redact(`${name}: ${message}`, secrets);
}

/**
 * Keeps `client` authenticated: before each token expires, gets a new one and re-AUTHs every
 * connection; failures are logged (without the token) and retried with backoff. Stops when the
 * client ends. Returns a stop function. Exported for tests (a fake Cluster is enough).
 */
export function startTokenRefresh(
  client: RedisClient,
  credential: Pick<TokenCredential, 'getToken'>,
  first: AccessToken,
  deps: EntraDeps = {},
): () => void {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const setTimer = deps.setTimeout ?? ((fn: () => void, ms: number): unknown => setTimeout(fn, ms));
  const clearTimer = deps.clearTimeout ?? ((handle: unknown) => clearTimeout(handle as NodeJS.Timeout));
  const logger = deps.logger ?? silentLogger;
  let current = first.token;
  let handle: unknown;
  let stopped = false;
  let failures = 0;

  const schedule = (ms: number): void => {
    if (stopped) return;
    handle = setTimer(() => void refresh(), ms);
    // A pending refresh must never keep a CLI run or a test process alive.
    (handle as { unref?: () => void } | undefined)?.unref?.();
  };
  const scheduleFor = (token: AccessToken): void => schedule(refreshDelayMs(token.expiresOnTimestamp - now(), random));

  const refresh = async (): Promise<void> => {
    let next: AccessToken | undefined;
    try {
      next = await fetchToken(credential, [current]);
      const nodes = await reauthenticate(client, tokenUsername(next.token), next.token);
      current = next.token;
      failures = 0;
      logger.info('Redis Entra token refreshed', {
        connections: nodes,
        expiresInSec: Math.round((next.expiresOnTimestamp - now()) / 1000),
      });
      scheduleFor(next);
    } catch (error) {
      failures += 1;
      const retryInMs = retryDelayMs(failures, random);
      logger.warn(`Redis Entra token refresh failed, retrying: ${describe(error, [current, next?.token])}`, {
        attempt: failures,
        retryInMs,
      });
      schedule(retryInMs);
    }
  };

  const stop = (): void => {
    stopped = true;
    if (handle !== undefined) clearTimer(handle);
    handle = undefined;
  };
  // 'end' only: 'close' also fires before each automatic reconnect, which must keep refreshing.
  client.once('end', stop);
  scheduleFor(first);
  return stop;
}

/**
 * Switches every connection of `client` to the new credentials: the options future (re)connects
 * AUTH with, and an AUTH on each live connection. Returns how many connections were re-AUTHed.
 */
export async function reauthenticate(client: RedisClient, username: string, token: string): Promise<number> {
  const credentials = { username, password: token };
  let connections: Redis[];
  if (client instanceof Cluster || isClusterLike(client)) {
    // Mutated in place: ioredis's ConnectionPool holds this very object and builds new nodes from it.
    client.options.redisOptions = Object.assign(client.options.redisOptions ?? {}, credentials);
    connections = client.nodes('all');
  } else {
    connections = [client];
  }
  // Each node keeps its own copy of the options, which its reconnects (and duplicate()s) read.
  for (const node of connections) Object.assign(node.options, credentials);
  const live = connections.filter((node) => node.status === 'ready');
  // A connection that is not ready will AUTH from its options when it (re)connects.
  await Promise.all(live.map((node) => node.call('AUTH', username, token)));
  return live.length;
}

/** Duck-typed so tests can pass a fake cluster; real ones are caught by `instanceof`. */
function isClusterLike(client: RedisClient): client is Cluster {
  return typeof (client as Partial<Cluster>).nodes === 'function';
}
