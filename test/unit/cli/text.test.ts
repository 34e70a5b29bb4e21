import { describe, expect, it } from 'vitest';
import { printable, quoted } from '../../../src/cli/text';

describe('human output of binary-safe values', () => {
  it('prints valid UTF-8 as is and escapes controls like redis-cli', () => {
    expect(printable(Buffer.from('ü-ñ-日本 🎉'))).toBe('ü-ñ-日本 🎉');
    expect(printable(Buffer.from('a\nb\r\tc"d\\\x07\x08\x1b\x7f'))).toBe('a\\nb\\r\\tc\\"d\\\\\\a\\b\\x1b\\x7f');
    // C1 controls (U+0080–U+009F) would move the cursor on some terminals: their bytes are escaped.
    expect(printable(Buffer.from('x\u0085y'))).toBe('x\\xc2\\x85y');
  });

  it('escapes every byte of invalid UTF-8 that is not printable ASCII', () => {
    expect(printable(Buffer.from([0x61, 0xff, 0x00, 0xc3, 0x28]))).toBe('a\\xff\\x00\\xc3(');
  });

  it('quotes empty values and values with spaces or escapes, as redis-cli does', () => {
    expect([
      quoted(Buffer.from('')),
      quoted(Buffer.from('a b')),
      quoted(Buffer.from('a\n')),
      quoted(Buffer.from('plain')),
    ]).toEqual(['""', '"a b"', '"a\\n"', 'plain']);
  });
});
