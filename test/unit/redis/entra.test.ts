import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { RedisClient } from '../../../src/redis/connection';
import { reauthenticate, startTokenRefresh } from '../../../src/redis/entra';
import { refreshDelayMs, retryDelayMs, tokenUsername } from '../../../src/redis/entra-token';
import { fakeJwt, ManualClock, RecordingLogger, ScriptedCredential, until } from '../../helpers/fake-entra';

const MIN = 60_000;
const OID = '6f1c2a9e-0b1d-4c8e-9f3a-2d7b5e4c1a00';

describe('tokenUsername', () => {
  it('is the oid claim, else sub', () => {
    expect(tokenUsername(fakeJwt({ oid: OID, sub: 'subject', exp: 1 }))).toBe(OID);
    expect(tokenUsername(fakeJwt({ sub: 'subject' }))).toBe('subject');
  });

  it('rejects a token without either claim, or not a JWT, without echoing it', () => {
    for (const bad of [fakeJwt({ aud: 'x' }), 'not-a-jwt-secret', 'a.%%%.c', fakeJwt({ oid: '' })]) {
      expect(() => tokenUsername(bad)).toThrow(/not a JWT with an `oid` or `sub` claim/);
      try {
        tokenUsername(bad);
      } catch (error) {
        expect((error as Error).message).not.toContain(bad);
      }
    }
  });
});

describe('refreshDelayMs', () => {
  it('refreshes about 5 minutes before expiry, ±1 minute', () => {
    expect(refreshDelayMs(60 * MIN, () => 0.5)).toBe(55 * MIN);
    expect(refreshDelayMs(60 * MIN, () => 0)).toBe(54 * MIN);
    expect(refreshDelayMs(60 * MIN, () => 0.999_999)).toBeCloseTo(56 * MIN, -2);
  });

  it('is always below the remaining lifetime and never a hot loop', () => {
    for (const lifetime of [3_000, 10_000, 45_000, 2 * MIN, 9 * MIN, 24 * 60 * MIN]) {
      for (const r of [0, 0.25, 0.5, 0.75, 0.999_999]) {
        const delay = refreshDelayMs(lifetime, () => r);
        expect(delay).toBeLessThan(lifetime);
        expect(delay).toBeGreaterThanOrEqual(Math.min(30_000, lifetime / 2));
      }
    }
    expect(refreshDelayMs(0)).toBe(1_000);
    expect(refreshDelayMs(-5 * MIN)).toBe(1_000);
  });
});

describe('retryDelayMs', () => {
  it('backs off exponentially to a 1-minute cap, with ±20 % jitter', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, () => 0.5))).toEqual([1_000, 2_000, 4_000, 8_000, MIN]);
    expect(retryDelayMs(1, () => 0)).toBe(800);
    expect(retryDelayMs(30, () => 0.999_999)).toBeLessThanOrEqual(1.2 * MIN);
  });
});

/** A node with what reauthenticate touches: status, options, call(). */
function fakeNode(status: string): {
  status: string;
  options: Record<string, unknown>;
  auths: string[][];
  call(...a: string[]): Promise<string>;
} {
  return {
    status,
    options: { username: 'old', password: 'old-token', host: 'n' },
    auths: [],
    async call(...args: string[]) {
      this.auths.push(args);
      return 'OK';
    },
  };
}

function fakeCluster(nodes: ReturnType<typeof fakeNode>[]) {
  const redisOptions = { username: 'old', password: 'old-token', connectionName: 'stream-reclaimer' };
  const cluster = Object.assign(new EventEmitter(), {
    options: { redisOptions },
    nodes: (_role?: string) => nodes,
  });
  // A structural stand-in for ioredis's Cluster: reauthenticate only reads the members above.
  return { cluster: cluster as unknown as RedisClient, redisOptions };
}

describe('reauthenticate on a cluster', () => {
  it('AUTHs every ready node and updates redisOptions in place and every node’s options', async () => {
    const nodes = [fakeNode('ready'), fakeNode('ready'), fakeNode('reconnecting')];
    const { cluster, redisOptions } = fakeCluster(nodes);
    const count = await reauthenticate(cluster, OID, 'token-B');
    expect(count).toBe(2);
    expect(nodes[0]!.auths).toEqual([['AUTH', OID, 'token-B']]);
    expect(nodes[1]!.auths).toEqual([['AUTH', OID, 'token-B']]);
    expect(nodes[2]!.auths).toEqual([]); // it AUTHs from its options when it reconnects
    for (const node of nodes) expect(node.options).toMatchObject({ username: OID, password: 'token-B', host: 'n' });
    // Same object: ioredis's ConnectionPool keeps a reference and builds new nodes from it.
    expect((cluster as unknown as { options: { redisOptions: object } }).options.redisOptions).toBe(redisOptions);
    expect(redisOptions).toEqual({ username: OID, password: 'token-B', connectionName: 'stream-reclaimer' });
  });

  it('refreshes a cluster on schedule and stops on end', async () => {
    const nodes = [fakeNode('ready'), fakeNode('ready')];
    const { cluster } = fakeCluster(nodes);
    const clock = new ManualClock();
    const tokenB = fakeJwt({ oid: OID, n: 'B' });
    const credential = new ScriptedCredential([{ token: tokenB, expiresOnTimestamp: clock.time + 120 * MIN }]);
    startTokenRefresh(
      cluster,
      credential,
      { token: 'token-A', expiresOnTimestamp: clock.time + 60 * MIN },
      { ...clock, random: () => 0.5 },
    );
    expect(clock.pending()[0]!.ms).toBe(55 * MIN);
    clock.fire();
    await until(() => nodes.every((n) => n.auths.length === 1), 'both nodes re-AUTHed');
    expect(nodes.map((n) => n.auths[0])).toEqual([
      ['AUTH', OID, tokenB],
      ['AUTH', OID, tokenB],
    ]);
    await until(() => clock.pending().length === 1, 'next refresh scheduled');
    cluster.emit('end');
    expect(clock.pending()).toEqual([]);
  });
});

describe('startTokenRefresh failures', () => {
  it('logs a failure without the token, retries with backoff, then succeeds', async () => {
    const node = fakeNode('ready');
    const client = Object.assign(new EventEmitter(), node) as unknown as Redis;
    const clock = new ManualClock();
    const logger = new RecordingLogger();
    const tokenA = fakeJwt({ oid: OID, n: 'A' });
    const tokenB = fakeJwt({ oid: OID, n: 'B' });
    const credential = new ScriptedCredential([
      new Error(`IMDS unavailable while renewing ${tokenA}`),
      { token: tokenB, expiresOnTimestamp: clock.time + 120 * MIN },
    ]);
    startTokenRefresh(
      client,
      credential,
      { token: tokenA, expiresOnTimestamp: clock.time + 60 * MIN },
      { ...clock, logger, random: () => 0.5 },
    );
    clock.fire();
    await until(() => logger.lines.length === 1 && clock.pending().length === 1, 'failure logged and retry scheduled');
    expect(logger.lines[0]).toMatchObject({ level: 'warn', fields: { attempt: 1, retryInMs: 1_000 } });
    expect(logger.lines[0]!.message).toMatch(/refresh failed, retrying: Error: Could not get a Microsoft Entra token/);
    expect(logger.lines[0]!.message).toContain('<redacted>');
    expect(logger.text()).not.toContain(tokenA);
    expect(clock.fire()).toBe(1_000);
    await until(() => node.auths.length === 1, 're-AUTH after the retry');
    expect(node.auths[0]).toEqual(['AUTH', OID, tokenB]);
    expect(logger.lines[1]).toMatchObject({ level: 'info', message: 'Redis Entra token refreshed' });
    expect(logger.text()).not.toContain(tokenB);
    expect(credential.scopes).toEqual(['https://redis.azure.com/.default', 'https://redis.azure.com/.default']);
  });
});
