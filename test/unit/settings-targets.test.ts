/** Settings of issue 18: stream lists, STREAM_PATTERN, group lists and `*`, decided once in config. */
import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/errors';
import { isSingleTarget, loadSettings, SETTING_NAMES } from '../../src/config/settings';

const host = { REDIS_HOST: 'cache.example:6380' };

function problems(env: Record<string, string>, use?: readonly (typeof SETTING_NAMES)[number][]): string[] {
  try {
    loadSettings(env, {}, use ? { use } : undefined);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return [...(error as SettingsError).problems];
  }
  throw new Error('expected a SettingsError');
}

describe('targets in settings', () => {
  it('one stream and one group: today\'s settings, a single target', () => {
    const s = loadSettings({ ...host, STREAM_NAME: 'orders', STREAM_CONSUMER_GROUP_NAME: 'workers' });
    expect(s).toMatchObject({ streamName: 'orders', groupName: 'workers', deadLetterStream: 'orders:dlq', hashKeyPrefix: 'orders:' });
    expect(s.targets).toEqual({ streams: ['orders'], groups: ['workers'], deadLetterStream: undefined, hashKeyPrefix: undefined });
    expect(isSingleTarget(s.targets)).toBe(true);
  });

  it('lists are split on commas and trimmed; repeats and empty items dropped; explicit keys kept for every target', () => {
    const s = loadSettings({ ...host, STREAM_NAME: ' a , b,a,', STREAM_CONSUMER_GROUP_NAME: 'g1, g2', DEAD_LETTER_STREAM: 'all:dlq' });
    expect(s.targets).toEqual({ streams: ['a', 'b'], groups: ['g1', 'g2'], deadLetterStream: 'all:dlq', hashKeyPrefix: undefined });
    expect(isSingleTarget(s.targets)).toBe(false);
  });

  it('`*` means every group; STREAM_PATTERN alone needs no STREAM_NAME', () => {
    const s = loadSettings({ ...host, STREAM_PATTERN: 'events:*', STREAM_CONSUMER_GROUP_NAME: '*' });
    expect(s.targets).toEqual({ pattern: 'events:*', groups: '*', deadLetterStream: undefined, hashKeyPrefix: undefined });
    expect(isSingleTarget(s.targets)).toBe(false);
  });

  it('both STREAM_NAME and STREAM_PATTERN: an error, listed with every other problem', () => {
    expect(problems({ ...host, STREAM_NAME: 'a', STREAM_PATTERN: 'events:*', STREAM_CONSUMER_GROUP_NAME: 'g', MAX_DELIVERIES: '0' })).toEqual([
      'Expected `MAX_DELIVERIES` to be an integer >= 1, got `0`',
      'Expected `STREAM_PATTERN` to be empty when `STREAM_NAME` is set (set exactly one of them), got `events:*`',
    ]);
  });

  it('neither STREAM_NAME nor STREAM_PATTERN: STREAM_NAME is required', () => {
    expect(problems({ ...host, STREAM_CONSUMER_GROUP_NAME: 'g' })).toEqual(['Expected `STREAM_NAME` to be set (the stream key), got nothing']);
  });

  it('a command that does not read STREAM_PATTERN still needs STREAM_NAME', () => {
    expect(problems({ ...host, STREAM_PATTERN: 'events:*', STREAM_CONSUMER_GROUP_NAME: 'g' }, ['REDIS_HOST', 'STREAM_NAME', 'STREAM_CONSUMER_GROUP_NAME'])).toEqual([
      'Expected `STREAM_NAME` to be set (the stream key), got nothing',
    ]);
  });

  it('`*` mixed with names, and a dead-letter stream equal to a listed stream, are errors', () => {
    expect(problems({ ...host, STREAM_NAME: 'a,b', STREAM_CONSUMER_GROUP_NAME: 'g,*', DEAD_LETTER_STREAM: 'b' })).toEqual([
      'Expected `STREAM_CONSUMER_GROUP_NAME` to be a group name, a comma-separated list of names, or `*` alone, got `g,*`',
      'Expected `DEAD_LETTER_STREAM` to differ from `STREAM_NAME`, got `b`',
    ]);
  });

  it('STREAM_PATTERN is a setting the product reads', () => {
    expect(SETTING_NAMES).toContain('STREAM_PATTERN');
  });
});
