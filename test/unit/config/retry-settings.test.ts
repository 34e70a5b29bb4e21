/** The retry policy's settings: defaults are today's behaviour; bad values named in the house style. */
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../src/config/settings';
import { SettingsError } from '../../../src/errors';

const base = { REDIS_HOST: 'localhost:6379', STREAM_NAME: 's', STREAM_CONSUMER_GROUP_NAME: 'g' };

const problems = (env: Record<string, string>): readonly string[] => {
  try {
    loadSettings({ ...base, ...env });
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  return [];
};

describe('RETRY_BACKOFF_MAX_SEC and RECLAIM_ACTION', () => {
  it('default to backoff off and process (today)', () => {
    expect(loadSettings(base)).toMatchObject({ retryBackoffMaxMs: undefined, reclaimAction: 'process' });
    expect(loadSettings({ ...base, RETRY_BACKOFF_MAX_SEC: ' ', RECLAIM_ACTION: '' })).toMatchObject({
      retryBackoffMaxMs: undefined,
      reclaimAction: 'process',
    });
  });

  it('read seconds (decimals allowed) as ms, and each action', () => {
    expect(loadSettings({ ...base, RETRY_BACKOFF_MAX_SEC: '1.5' }).retryBackoffMaxMs).toBe(1_500);
    for (const action of ['process', 'requeue', 'dead-letter-only'])
      expect(loadSettings({ ...base, RECLAIM_ACTION: action }).reclaimAction).toBe(action);
  });

  it('name a bad value and what is expected, both at once', () => {
    expect(problems({ RETRY_BACKOFF_MAX_SEC: 'abc', RECLAIM_ACTION: 'retry' })).toEqual([
      'Expected `RETRY_BACKOFF_MAX_SEC` to be a number > 0, or empty for off, got `abc`',
      'Expected `RECLAIM_ACTION` to be `process`, `requeue` or `dead-letter-only`, got `retry`',
    ]);
    expect(problems({ RETRY_BACKOFF_MAX_SEC: '0' })).toEqual([
      'Expected `RETRY_BACKOFF_MAX_SEC` to be a number > 0, or empty for off, got `0`',
    ]);
  });
});
