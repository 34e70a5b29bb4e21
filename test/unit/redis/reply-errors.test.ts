/** mapRedisError (src/redis/reply-errors.ts), branch by branch. */
import { describe, expect, it } from 'vitest';
import {
  EntraTokenError,
  KeySlotError,
  MissingGroupError,
  MissingStreamError,
  NodeUnavailableError,
  RedisAuthError,
  RedisUnavailableError,
  SettingsError,
  WrongTypeError,
} from '../../../src/errors';
import { mapRedisError, missingGroupError } from '../../../src/redis/reply-errors';

const ctx = {
  server: 'cache:6380',
  stream: 'orders',
  group: 'billing',
  deadLetter: 'orders:dlq',
  secrets: ['hunter2'],
};
const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });
const map = (error: unknown, context: Parameters<typeof mapRedisError>[1] = ctx): Error =>
  mapRedisError(error, context);

describe('mapRedisError', () => {
  it('keeps errors that are already ours, as they are', () => {
    const ours = [
      new SettingsError(['x']),
      new MissingGroupError('m'),
      new WrongTypeError('w'),
      new KeySlotError('k'),
      new RedisAuthError('a'),
      new EntraTokenError('e'),
      new NodeUnavailableError('n', 'node:1'),
    ];
    for (const error of ours) expect(map(error)).toBe(error);
  });

  it('NOGROUP (stream or group, the reply does not say which): MissingGroupError naming both and the fix', () => {
    for (const raw of [
      'NOGROUP No such key or consumer group',
      "ERR Error running script: NOGROUP No such key 'orders' or consumer group 'billing'",
    ]) {
      const mapped = map(new Error(raw));
      expect(mapped).toBeInstanceOf(MissingGroupError);
      expect(mapped).not.toBeInstanceOf(MissingStreamError);
      expect(mapped.message).toBe(
        'Stream `orders` or its consumer group `billing` does not exist on cache:6380 (create it with XGROUP CREATE orders billing $ MKSTREAM)',
      );
    }
  });

  it('`no such key` (XINFO on a missing stream): MissingStreamError naming the stream, the setting and how to create it', () => {
    const mapped = map(new Error('ERR no such key'));
    expect(mapped).toBeInstanceOf(MissingStreamError);
    expect(mapped.message).toBe(
      'Stream `orders` does not exist on cache:6380: check `STREAM_NAME`, or create the stream with its consumer group with XGROUP CREATE orders billing $ MKSTREAM',
    );
  });

  it('a missing group found by our own check names the group, the groups there are, and how to create it', () => {
    expect(missingGroupError(ctx, ['shipping', 'audit']).message).toBe(
      'Stream `orders` on cache:6380 has no consumer group `billing` (its groups: shipping, audit): check `STREAM_CONSUMER_GROUP_NAME`, or create the group with XGROUP CREATE orders billing $',
    );
    expect(missingGroupError(ctx, []).message).toContain('(it has no groups)');
  });

  it('a dead-letter key of another type: WrongTypeError naming that key; without one named, the stream', () => {
    const raw = 'WRONGTYPE dead-letter key holds another type (expected a stream)';
    expect(map(new Error(raw))).toBeInstanceOf(WrongTypeError);
    expect(map(new Error(raw)).message).toMatch(
      /^Dead-letter key `orders:dlq` on cache:6380 is not a stream \(dead-letter key holds/,
    );
    const { deadLetter: _none, ...noDlq } = ctx;
    expect(map(new Error(raw), noDlq).message).toMatch(/^Key `orders` on cache:6380 is not a stream/);
    expect(map(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBeInstanceOf(
      WrongTypeError,
    );
  });

  it('OOM: RedisUnavailableError saying nothing changed', () => {
    const mapped = map(new Error('OOM command not allowed when used memory > maxmemory'));
    expect(mapped).toBeInstanceOf(RedisUnavailableError);
    expect(mapped.message).toMatch(/out of memory .*changed nothing/);
  });

  it('refused credentials: RedisAuthError, secrets redacted', () => {
    for (const raw of [
      'WRONGPASS invalid username-password pair (hunter2)',
      'NOAUTH Authentication required',
      'NOPERM no permissions',
      'ERR AUTH <password> called',
      'ERR invalid password',
    ]) {
      const mapped = map(new Error(raw));
      expect(mapped).toBeInstanceOf(RedisAuthError);
      expect(mapped.message).not.toContain('hunter2');
    }
  });

  it('TLS failures, by message or by code: RedisUnavailableError naming REDIS_TLS_CA_FILE', () => {
    for (const error of [
      new Error('self-signed certificate in certificate chain'),
      withCode('boom', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      withCode('x', 'ERR_TLS_CERT_ALTNAME_INVALID'),
    ]) {
      const mapped = map(error);
      expect(mapped).toBeInstanceOf(RedisUnavailableError);
      expect(mapped.message).toMatch(/^TLS to Redis at cache:6380 failed: .*REDIS_TLS_CA_FILE/);
    }
  });

  it('socket error codes: RedisUnavailableError "Cannot reach"', () => {
    for (const code of [
      'ECONNREFUSED',
      'ENOTFOUND',
      'EAI_AGAIN',
      'ETIMEDOUT',
      'ECONNRESET',
      'EPIPE',
      'ENOENT',
      'EHOSTUNREACH',
    ]) {
      const mapped = map(withCode(`connect ${code}`, code));
      expect(mapped).toBeInstanceOf(RedisUnavailableError);
      expect(mapped.message).toMatch(/^Cannot reach Redis at cache:6380/);
    }
  });

  it('a lost connection: RedisUnavailableError "Lost or could not open"', () => {
    for (const raw of [
      'Connection is closed.',
      'Command timed out',
      'Reached the max retries per request limit',
      "Stream isn't writeable",
      'Failed to refresh slots cache.',
      'None of startup nodes is available',
    ]) {
      const mapped = map(new Error(raw));
      expect(mapped).toBeInstanceOf(RedisUnavailableError);
      expect(mapped.message).toMatch(/^Lost or could not open the connection to Redis at cache:6380/);
    }
  });

  it('anything else: a plain Error naming the target, secrets redacted; non-errors too', () => {
    const mapped = map(new Error('ERR unknown command with hunter2'));
    expect(mapped.constructor).toBe(Error);
    expect(mapped.message).toBe('Redis at cache:6380 failed: ERR unknown command with <redacted>');
    expect(map('just text').message).toBe('Redis at cache:6380 failed: just text');
  });
});
