/**
 * Binary-safe values for human output: valid UTF-8 is printed as is (redis-cli would show
 * `\xc3\xbc` for `ü`), control characters and invalid bytes are escaped as redis-cli does.
 */
import { isUtf8 } from 'node:buffer';

const NAMED: Record<number, string> = {
  0x5c: '\\\\',
  0x22: '\\"',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x07: '\\a',
  0x08: '\\b',
};
const hex = (byte: number): string => `\\x${byte.toString(16).padStart(2, '0')}`;

/** One byte of ASCII (or of an invalid sequence) as redis-cli prints it. */
const byteText = (byte: number): string =>
  NAMED[byte] ?? (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : hex(byte));

/** The value with control characters and invalid UTF-8 escaped; printable text unchanged. */
export function printable(value: Buffer): string {
  if (!isUtf8(value)) return [...value].map(byteText).join('');
  let out = '';
  for (const ch of value.toString('utf8')) {
    const code = ch.codePointAt(0) ?? 0;
    // C0, DEL and C1 controls would move the cursor or recolour the terminal.
    if (code < 0x80) out += byteText(code);
    else if (code < 0xa0) out += [...Buffer.from(ch)].map(hex).join('');
    else out += ch;
  }
  return out;
}

/** `printable`, in double quotes when empty or holding a space or escape, as redis-cli quotes. */
export function quoted(value: Buffer): string {
  const text = printable(value);
  return text === '' || /[\s"\\]/.test(text) ? `"${text}"` : text;
}
