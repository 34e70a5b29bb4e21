/** The typed errors that never go through a message: each is thrown as itself and mapped by its class. */
import { describe, expect, it } from 'vitest';
import {
  EntraTokenError,
  KeySlotError,
  MissingGroupError,
  NodeUnavailableError,
  RedisAuthError,
  RedisUnavailableError,
  SettingsError,
} from '../../src/errors';
import { connectWithEntra } from '../../src/redis/connection';
import { reclaimPage } from '../../src/redis/reclaim-page';
import type { RedisClient } from '../../src/redis/client';
import { statusFor } from '../../functions/http-status';
import { ScriptedCredential } from '../helpers/fake-entra';

describe('typed errors that never pass through a message', () => {
  it('a Microsoft Entra token failure is an EntraTokenError (a RedisAuthError): /api/status answers 503', async () => {
    const credential = new ScriptedCredential([new Error('IMDS unavailable')]);
    const settings = {
      redisHost: 'cache',
      redisPort: 6380,
      redisPath: undefined,
      redisPassword: undefined,
      redisUsername: undefined,
      redisTls: false,
      redisTlsCaFile: undefined,
      redisAuth: 'entra' as const,
      redisCluster: false,
      streamName: 's',
      groupName: 'g',
    };
    const failure = await connectWithEntra(
      settings,
      { connectTimeoutMs: 100, commandTimeoutMs: 100, reconnectAttempts: 0 },
      { credential },
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(EntraTokenError);
    expect(failure).toBeInstanceOf(RedisAuthError);
    expect((failure as Error).message).toMatch(/^Could not get a Microsoft Entra token for Redis .*IMDS unavailable/);
    expect(statusFor(failure)).toBe(503);
  });

  it('statusFor: 404 for a missing group, 503 for Redis trouble, 500 for the rest', () => {
    expect(statusFor(new MissingGroupError('m'))).toBe(404);
    expect(statusFor(new RedisUnavailableError('u'))).toBe(503);
    expect(statusFor(new NodeUnavailableError('n', 'node'))).toBe(503);
    expect(statusFor(new RedisAuthError('a'))).toBe(503);
    expect(statusFor(new SettingsError(['x']))).toBe(500);
    expect(statusFor(new Error('x'))).toBe(500);
  });

  it('the fast path on a cluster refuses a hash prefix without the stream tag: KeySlotError, nothing sent', async () => {
    const client = new Proxy(
      {},
      {
        get: () => {
          throw new Error('no command may be sent');
        },
      },
    ) as unknown as RedisClient;
    const args = {
      group: 'g',
      minIdleMs: 0,
      maxDeliveries: 3,
      keyField: '',
      at: 1,
      checkSlot: true,
      start: '-',
      count: 10,
      serverIdleFilter: true,
    };
    await expect(
      reclaimPage(client, { stream: '{o}:s', deadLetter: '{o}:d' }, { ...args, hashPrefix: 'h:' }),
    ).rejects.toThrow(KeySlotError);
    await expect(
      reclaimPage(client, { stream: '{o}:s', deadLetter: '{o}:d' }, { ...args, hashPrefix: 'h:' }),
    ).rejects.toThrow(/does not carry the hash tag of stream `\{o\}:s`/);
  });
});
