/**
 * RECLAIM_SCHEDULE is NCRONTAB as the Functions host reads it: six fields, seconds first, UTC.
 * Expected fire times are computed by hand from fixed dates.
 */
import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../../src/errors';
import { nextRuns, validateSchedule } from '../../../src/config/schedule';
import { loadSettings } from '../../../src/config/settings';

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());

describe('nextRuns agrees with NCRONTAB', () => {
  it('`*/20 * * * * *`: seconds 0, 20, 40 of every minute (the default)', () => {
    expect(iso(nextRuns('*/20 * * * * *', 4, new Date('2024-03-10T01:59:45Z')))).toEqual([
      '2024-03-10T02:00:00.000Z',
      '2024-03-10T02:00:20.000Z',
      '2024-03-10T02:00:40.000Z',
      '2024-03-10T02:01:00.000Z',
    ]);
  });

  it('a fire time is not "next" to itself', () => {
    expect(iso(nextRuns('*/20 * * * * *', 1, new Date('2024-01-01T00:00:00Z')))).toEqual(['2024-01-01T00:00:20.000Z']);
  });

  it('`0 */5 * * * *`: every five minutes, across midnight and a month end', () => {
    expect(iso(nextRuns('0 */5 * * * *', 3, new Date('2024-01-31T23:52:30Z')))).toEqual([
      '2024-01-31T23:55:00.000Z',
      '2024-02-01T00:00:00.000Z',
      '2024-02-01T00:05:00.000Z',
    ]);
  });

  it('`0 0 2 * * 1-5`: 02:00 on weekdays, skipping the weekend (2024-03-08 is a Friday)', () => {
    expect(iso(nextRuns('0 0 2 * * 1-5', 6, new Date('2024-03-08T03:00:00Z')))).toEqual([
      '2024-03-11T02:00:00.000Z',
      '2024-03-12T02:00:00.000Z',
      '2024-03-13T02:00:00.000Z',
      '2024-03-14T02:00:00.000Z',
      '2024-03-15T02:00:00.000Z',
      '2024-03-18T02:00:00.000Z',
    ]);
  });

  it('day-of-week 0 is Sunday', () => {
    expect(iso(nextRuns('0 30 9 * * 0', 1, new Date('2024-03-08T00:00:00Z')))).toEqual(['2024-03-10T09:30:00.000Z']);
  });

  // NCrontab fires only when day-of-month AND day-of-week both match (Friday the 13th here);
  // croner's default (legacyMode) ORs them like Vixie cron.
  it('restricted day-of-month and day-of-week must both match', () => {
    expect(iso(nextRuns('0 0 0 13 * 5', 2, new Date('2024-01-01T00:00:00Z')))).toEqual([
      '2024-09-13T00:00:00.000Z',
      '2024-12-13T00:00:00.000Z',
    ]);
  });
});

describe('5-field (minute-first) expressions are rejected', () => {
  it('with a message saying six fields, seconds first, are needed', () => {
    expect(validateSchedule('*/5 * * * *')).toMatch(
      /needs 6 fields \(second minute hour day month day-of-week\), got 5/,
    );
    expect(() => nextRuns('0 2 * * 1-5', 1, new Date())).toThrow(/Invalid schedule `0 2 \* \* 1-5`: .*6 fields/);
  });

  it('as a settings error naming RECLAIM_SCHEDULE and the value', () => {
    const env = {
      REDIS_HOST: 'localhost',
      STREAM_NAME: 's',
      STREAM_CONSUMER_GROUP_NAME: 'g',
      RECLAIM_SCHEDULE: '*/5 * * * *',
    };
    expect(() => loadSettings(env)).toThrow(SettingsError);
    expect(() => loadSettings(env)).toThrow(
      /`RECLAIM_SCHEDULE` to be a 6-field NCRONTAB expression .*got `\*\/5 \* \* \* \*`/,
    );
  });

  it('and valid 6-field expressions pass', () => {
    for (const s of ['*/20 * * * * *', '0 */5 * * * *', '0 0 2 * * 1-5']) expect(validateSchedule(s)).toBeUndefined();
  });
});
