/** The dead-letter record's parser: it reads what recordMeta writes, and nothing else. */
import { describe, expect, it } from 'vitest';
import { parseRecord, recordMeta, RECORD_META_FIELDS } from '../../../src/redis/record';

const b = (values: (string | Buffer)[]): Buffer[] => values.map((v) => (typeof v === 'string' ? Buffer.from(v) : v));
const meta = {
  stream: 'orders',
  id: '5-1',
  group: 'g',
  consumer: Buffer.from([0xff, 0x41]),
  deliveries: 5,
  idleMs: 900,
  reason: 'max-deliveries',
  error: '',
  at: 1234,
};

describe('parseRecord', () => {
  it('reads what recordMeta writes, after any original fields (dlq.* names among them included)', () => {
    const original = ['dlq.reason', 'forged', 'k', 'v', 'k', 'again'];
    const record = parseRecord('9-0', b([...original, ...recordMeta(meta)]));
    expect(record).toMatchObject({
      id: '9-0',
      sourceStream: 'orders',
      sourceId: '5-1',
      group: 'g',
      deliveries: 5,
      idleMs: 900,
      reason: 'max-deliveries',
      at: 1234,
    });
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
