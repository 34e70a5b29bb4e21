/** Small pure functions: the dead-letter record's parser, the scan strategy, the settling mode, the hash-tag rule. (parseDuration: settings.test.ts.) */
import { describe, expect, it } from 'vitest';
import { chooseMode } from '../../src/reclaim/mode';
import { chooseStrategy } from '../../src/reclaim/scan';
import { carriesTagOf } from '../../src/redis/keys';
import { parseRecord, recordMeta, RECORD_META_FIELDS } from '../../src/redis/record';

const b = (values: (string | Buffer)[]): Buffer[] => values.map((v) => (typeof v === 'string' ? Buffer.from(v) : v));
const meta = { stream: 'orders', id: '5-1', group: 'g', consumer: Buffer.from([0xff, 0x41]), deliveries: 5, idleMs: 900, reason: 'max-deliveries', error: '', at: 1234 };

describe('parseRecord', () => {
  it('reads what recordMeta writes, after any original fields (dlq.* names among them included)', () => {
    const original = ['dlq.reason', 'forged', 'k', 'v', 'k', 'again'];
    const record = parseRecord('9-0', b([...original, ...recordMeta(meta)]));
    expect(record).toMatchObject({ id: '9-0', sourceStream: 'orders', sourceId: '5-1', group: 'g', deliveries: 5, idleMs: 900, reason: 'max-deliveries', at: 1234 });
    expect(record?.consumer).toEqual(Buffer.from([0xff, 0x41]));
    expect(record?.fields.map(String)).toEqual(original);
  });

  it('is undefined for what is not a record: too short, odd, no original field, a name out of place', () => {
    const full = b(['k', 'v', ...recordMeta(meta)]);
    expect(parseRecord('1-0', full.slice(2))).toBeUndefined();
    expect(parseRecord('1-0', full.slice(1))).toBeUndefined();
    expect(parseRecord('1-0', b(['k', 'v']))).toBeUndefined();
    const swapped = [...full];
    swapped[2] = Buffer.from('dlq.other');
    expect(parseRecord('1-0', swapped)).toBeUndefined();
    expect(RECORD_META_FIELDS).toHaveLength(9);
  });
});

describe('chooseStrategy', () => {
  it('takes a requested strategy as is', () => {
    expect(chooseStrategy('redis6.0', { name: 'redis', version: [8, 0, 0] })).toBe('redis6.0');
  });

  it('auto: from the server version; every Valkey is 7-class', () => {
    expect(chooseStrategy('auto', { name: 'redis', version: [7, 0, 0] })).toBe('redis7');
    expect(chooseStrategy('auto', { name: 'redis', version: [8, 2, 1] })).toBe('redis7');
    expect(chooseStrategy('auto', { name: 'redis', version: [6, 2, 14] })).toBe('redis6.2');
    expect(chooseStrategy('auto', { name: 'redis', version: [6, 0, 16] })).toBe('redis6.0');
    expect(chooseStrategy('auto', { name: 'redis', version: [5, 0, 0] })).toBe('redis6.0');
    expect(chooseStrategy('auto', { name: 'valkey', version: [6, 0, 0] })).toBe('redis7');
  });
});

describe('chooseMode', () => {
  const base = { dryRun: false, cluster: false, sameSlot: false, fastPathAllowed: true };
  it('dry run wins over everything', () => {
    expect(chooseMode({ ...base, dryRun: true })).toBe('dry-run');
    expect(chooseMode({ ...base, dryRun: true, cluster: true })).toBe('dry-run');
  });

  it('fast with the hash writer where every key is in one slot', () => {
    expect(chooseMode(base)).toBe('fast');
    expect(chooseMode({ ...base, cluster: true, sameSlot: true })).toBe('fast');
  });

  it('atomic with another processor (or the fast path off), split on a cluster whose keys are in several slots', () => {
    expect(chooseMode({ ...base, fastPathAllowed: false })).toBe('atomic');
    expect(chooseMode({ ...base, fastPathAllowed: false, cluster: true, sameSlot: true })).toBe('atomic');
    expect(chooseMode({ ...base, cluster: true })).toBe('split');
    expect(chooseMode({ ...base, fastPathAllowed: false, cluster: true })).toBe('split');
  });
});

describe('carriesTagOf (the hash-tag rule, once)', () => {
  it('holds when the key has the stream tag, by the Redis Cluster rule', () => {
    expect(carriesTagOf('{orders}:dlq', '{orders}')).toBe(true);
    expect(carriesTagOf('x{orders}y{other}', 'a{orders}')).toBe(true);
    expect(carriesTagOf(Buffer.from('{orders}:h:'), '{orders}:s')).toBe(true);
  });

  it('fails on tricky keys: no tag, an empty tag, an unclosed one, another tag, the second braces', () => {
    expect(carriesTagOf('orders:dlq', 'orders')).toBe(false);
    expect(carriesTagOf('{}orders', '{}orders')).toBe(false);
    expect(carriesTagOf('{orders', '{orders')).toBe(false);
    expect(carriesTagOf('{other}', '{orders}')).toBe(false);
    expect(carriesTagOf('{}{orders}', '{orders}')).toBe(false);
    expect(carriesTagOf('h:{', '{o}:s')).toBe(false);
  });
});
