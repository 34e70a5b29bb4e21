/**
 * Text for humans: binary-safe values (valid UTF-8 is printed as is, where redis-cli would show
 * `\xc3\xbc` for `ü`; control characters and invalid bytes are escaped as redis-cli does),
 * durations and tables.
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

/** `850 ms`, `12.3 s`, `5m 3s`, `2h 10m`, `3d 4h`. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1_000) return `${ms} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${Math.floor((s % 3_600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3_600)}h`;
}

/** Left-aligned columns; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map(
      (r) =>
        `  ${r
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
