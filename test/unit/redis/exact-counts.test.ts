/** The record's delivery count, built, parsed, shown and printed as JSON digit for digit. */
import { describe, expect, it } from 'vitest';
import { parseRecord, recordMeta } from '../../../src/redis/record';
import { formatRecords, recordToJson } from '../../../src/cli/dlq-common';
import { countForJson, exactJson } from '../../../src/cli/exact-json';
import { isExactCount } from '../../../src/redis/exact-count';
import { loadSettings } from '../../../src/config/settings';

const COUNTS = ['1', '9007199254740991', '9007199254740993', '9223372036854775807'];

function record(deliveries: number | string): Buffer[] {
  const meta = recordMeta({
    stream: 's',
    id: '1-1',
    group: 'g',
    consumer: 'c',
    deliveries,
    idleMs: 5,
    reason: 'max-deliveries',
    error: '',
    at: 1_700_000_000_000,
  });
  return [Buffer.from('user'), Buffer.from('u1'), ...meta.map((v) => Buffer.from(v))];
}

describe('exact delivery counts', () => {
  it.each(COUNTS)('the record builder writes %s as given and the parser reads it back exactly', (count) => {
    const items = record(count);
    expect(String(items[items.length - 9])).toBe(count);
    const parsed = parseRecord('2-0', items);
    expect(parsed?.deliveriesText).toBe(count);
    expect(parsed?.deliveries).toBe(Number(count));
  });

  it('a small count given as a number is written as today (digits, no exponent)', () => {
    expect(parseRecord('2-0', record(7))?.deliveriesText).toBe('7');
  });

  it('dlq list: the human table shows every digit; --json writes a JSON number with every digit', () => {
    const records = COUNTS.map((c) => parseRecord('2-0', record(c))).filter((r) => r !== undefined);
    const table = formatRecords(records, 1_700_000_001_000);
    for (const c of COUNTS) expect(table).toContain(` ${c} `);
    const lines = records.map((r) => exactJson(recordToJson(r)));
    expect(lines.map((l) => /"deliveries":(\d+),/.exec(l)?.[1])).toEqual(COUNTS);
    // Small counts keep today's contract: a JSON number, the same text JSON.stringify writes.
    expect(lines[0]).toBe(JSON.stringify(recordToJson(records[0] as NonNullable<(typeof records)[0]>)));
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('exactJson writes bigints as digits and everything else as JSON.stringify does', () => {
    const value = {
      a: 1n << 63n,
      b: [1, 'x', null, undefined, { c: true }],
      d: undefined,
      e: '"q"',
      f: { base64: 'AA==' },
    };
    expect(exactJson(value)).toBe(
      '{"a":9223372036854775808,"b":[1,"x",null,null,{"c":true}],"e":"\\"q\\"","f":{"base64":"AA=="}}',
    );
    expect(countForJson('5')).toBe(5);
    expect(countForJson('9007199254740993')).toBe(9007199254740993n);
    // An old record's rounded text is not an integer: kept as the number it says.
    expect(countForJson('9.2233720368547758e+18')).toBe(9.2233720368547758e18);
  });

  it('isExactCount: below 2^53 only', () => {
    expect(
      [9007199254740991, '9007199254740991', 9007199254740992, '9007199254740993', '9223372036854775807'].map(
        isExactCount,
      ),
    ).toEqual([true, true, false, false, false]);
  });

  it('MAX_DELIVERIES is at most 2^53 - 1', () => {
    const base = { REDIS_HOST: 'h:1', STREAM_NAME: 's', STREAM_CONSUMER_GROUP_NAME: 'g' };
    expect(loadSettings({ ...base, MAX_DELIVERIES: '9007199254740991' }).maxDeliveries).toBe(9007199254740991);
    expect(() => loadSettings({ ...base, MAX_DELIVERIES: '9007199254740992' })).toThrow(
      'Expected `MAX_DELIVERIES` to be an integer from 1 to 9007199254740991 (2^53 - 1), got `9007199254740992`',
    );
  });
});
