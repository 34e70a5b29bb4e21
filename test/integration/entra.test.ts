/**
 * REDIS_AUTH=entra against a real redis-server whose ACL user is named after the identity's object
 * ID, as Azure does: the token is the password, re-AUTH happens before expiry (injected clock),
 * reconnects use the newest token, and a failed refresh is logged without the token and retried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import type { ConnectionLimits, RedisClient } from '../../src/redis/connection';
import { connectWithEntra } from '../../src/redis/connection';
import { RedisAuthError } from '../../src/errors';
import { testSettings } from '../helpers/backlog';
import { fakeJwt, ManualClock, RecordingLogger, ScriptedCredential, until } from '../helpers/fake-entra';
import type { RedisServer } from '../helpers/redis-server';
import { serverAtLeast } from '../helpers/server-version';
import { useRedis } from '../helpers/use-redis';

const MIN = 60_000;
const OID = '3d2f1a0b-7c6e-4b5a-9d8c-1e2f3a4b5c6d';
const LIMITS: ConnectionLimits = { connectTimeoutMs: 2_000, commandTimeoutMs: 5_000, reconnectAttempts: 5 };

let server: RedisServer;
let admin: Redis;

const connections = useRedis({}, (started) => (server = started));
beforeAll(async () => {
  const setup = server.client();
  // Channel rules (`&*`) exist from 6.2; before, every user may use every channel.
  const channels = serverAtLeast(6, 2) ? ['&*'] : [];
  await setup.call('ACL', 'SETUSER', 'admin', 'on', '>admin-pw', '~*', ...channels, '+@all');
  await setup.call('ACL', 'SETUSER', OID, 'on', '>placeholder', '~*', ...channels, '+@all');
  // Like Azure with access keys disabled: nothing works without a valid token.
  await setup.call('ACL', 'SETUSER', 'default', 'off', 'resetpass');
  setup.disconnect();
  admin = new Redis({ path: server.host, username: 'admin', password: 'admin-pw', maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  admin?.disconnect();
});

let serial = 0;
/** A JWT-shaped token for OID, unique per call, that expires `lifetimeMs` after `clock.time`. */
function issue(clock: ManualClock, lifetimeMs = 60 * MIN) {
  const expiresOnTimestamp = clock.time + lifetimeMs;
  return {
    token: fakeJwt({ oid: OID, sub: 'pairwise-sub', exp: Math.floor(expiresOnTimestamp / 1000), n: (serial += 1) }),
    expiresOnTimestamp,
  };
}

const setPassword = (token: string) => admin.call('ACL', 'SETUSER', OID, 'resetpass', `>${token}`);
const authFailures = async (): Promise<number> => ((await admin.call('ACL', 'LOG')) as unknown[]).length;
const serverAuthCalls = async (): Promise<number> =>
  Number(/cmdstat_auth:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);

/** Drops the reclaimer's connection and waits until ioredis has reconnected (and AUTHed) on its own. */
async function forceReconnect(client: RedisClient): Promise<void> {
  let readyAgain = false;
  client.once('ready', () => (readyAgain = true));
  expect(Number(await admin.call('CLIENT', 'KILL', 'USER', OID))).toBeGreaterThanOrEqual(1);
  await until(() => readyAgain || client.status === 'end', 'reconnect', 10_000);
  expect(client.status).toBe('ready');
}

async function connectWith(
  credential: ScriptedCredential,
  clock: ManualClock,
  logger: RecordingLogger,
): Promise<RedisClient> {
  const settings = testSettings(server, { REDIS_AUTH: 'entra' });
  return connections.keep(
    await connectWithEntra(settings, LIMITS, { credential, logger, random: () => 0.5, ...clock }),
  );
}

describe('REDIS_AUTH=entra against an ACL user named after the object ID', () => {
  it('refuses unauthenticated access (the setup is meaningful)', async () => {
    const anonymous = new Redis({
      path: server.host,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    anonymous.on('error', () => undefined);
    await expect(anonymous.connect().then(() => anonymous.ping())).rejects.toThrow(/NOAUTH|WRONGPASS|disabled/);
    anonymous.disconnect();
  });

  it('authenticates as the oid with the token, re-AUTHs before expiry, and reconnects with the new token', async () => {
    const clock = new ManualClock();
    const logger = new RecordingLogger();
    const tokenA = issue(clock);
    const tokenB = issue(clock, 90 * MIN);
    await setPassword(tokenA.token);
    const credential = new ScriptedCredential([tokenA, tokenB]);
    const client = await connectWith(credential, clock, logger);

    expect(await client.call('ACL', 'WHOAMI')).toBe(OID);
    expect(credential.scopes).toEqual(['https://redis.azure.com/.default']);
    // The refresh is due before the token expires: 5 min early (±1 min jitter; 0 with random = 0.5).
    const [scheduled] = clock.pending();
    expect(scheduled!.ms).toBe(55 * MIN);
    expect(scheduled!.at).toBeLessThan(tokenA.expiresOnTimestamp);

    // The identity's token rotates on the server side; the old one stops working for new logins.
    await setPassword(tokenB.token);
    const authsBefore = await serverAuthCalls();
    clock.fire();
    await until(() => logger.lines.some((l) => l.message === 'Redis Entra token refreshed'), 'refresh');
    expect(await serverAuthCalls()).toBe(authsBefore + 1); // the live connection AUTHed once, with tokenB
    expect(await authFailures()).toBe(0); // …and the server accepted it
    expect((client as Redis).options).toMatchObject({ username: OID, password: tokenB.token });
    // The next refresh is scheduled from tokenB's expiry.
    expect(clock.pending().map((t) => t.at)).toEqual([tokenB.expiresOnTimestamp - 5 * MIN]);

    // A dropped connection comes back on its own, AUTHing with tokenB (tokenA would be WRONGPASS).
    await forceReconnect(client);
    expect(await client.call('ACL', 'WHOAMI')).toBe(OID);
    await client.set('entra:probe', 'ok');
    expect(await admin.get('entra:probe')).toBe('ok');
    expect(await authFailures()).toBe(0);
    expect(logger.text()).not.toContain(tokenA.token);
    expect(logger.text()).not.toContain(tokenB.token);

    client.disconnect();
    await until(() => client.status === 'end', 'end');
    expect(clock.pending()).toEqual([]); // timers stop with the client
  });

  it('logs a failed refresh without the token, retries with backoff, then re-AUTHs', async () => {
    const clock = new ManualClock();
    const logger = new RecordingLogger();
    const tokenA = issue(clock, 30 * MIN);
    const tokenC = issue(clock, 60 * MIN);
    await setPassword(tokenA.token);
    // The failure's message quotes the current token, as a careless library might.
    const credential = new ScriptedCredential([
      tokenA,
      new Error(`ManagedIdentityCredential: endpoint timed out (${tokenA.token})`),
      tokenC,
    ]);
    const client = await connectWith(credential, clock, logger);

    expect(clock.fire()).toBe(25 * MIN);
    await until(() => logger.lines.length === 1 && clock.pending().length === 1, 'failure logged');
    const [warning] = logger.lines;
    expect(warning).toMatchObject({ level: 'warn', fields: { attempt: 1, retryInMs: 1_000 } });
    expect(warning!.message).toMatch(
      /^Redis Entra token refresh failed, retrying: Error: Could not get a Microsoft Entra token .*endpoint timed out \(<redacted>\)/,
    );
    expect(logger.text()).not.toContain(tokenA.token);
    expect(await client.call('ACL', 'WHOAMI')).toBe(OID); // still working on tokenA meanwhile

    await setPassword(tokenC.token);
    expect(clock.fire()).toBe(1_000); // the retry
    await until(() => logger.lines.length === 2, 'retry outcome');
    expect(logger.lines[1]).toMatchObject({ level: 'info', message: 'Redis Entra token refreshed' });
    await forceReconnect(client);
    expect(await client.call('ACL', 'WHOAMI')).toBe(OID);
    expect(await authFailures()).toBe(0);
    expect(logger.text()).not.toContain(tokenC.token);
    expect(credential.calls).toBe(3);
  });

  it('maps a token the server rejects to RedisAuthError without the token', async () => {
    const clock = new ManualClock();
    const rejected = issue(clock);
    const error = await connectWith(new ScriptedCredential([rejected]), clock, new RecordingLogger()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RedisAuthError);
    expect((error as Error).message).toMatch(/WRONGPASS/);
    expect((error as Error).message).not.toContain(rejected.token);
    expect(clock.pending()).toEqual([]);
    await admin.call('ACL', 'LOG', 'RESET');
  });
});
