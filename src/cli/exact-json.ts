/**
 * JSON with integers beyond 2^53 written digit for digit. `JSON.stringify` refuses a bigint, and
 * a number would print 9223372036854775807 as 9223372036854776000; a delivery count can be any
 * 64-bit value (docs/design.md §5), so `dlq list --json` writes it as a bigint through this.
 */
export function exactJson(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : exactJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof Date)) {
    const pairs = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined && typeof v !== 'function',
    );
    return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${exactJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A recorded count for JSON: a number while exact as one, else a bigint (text that is not an integer stays a number). */
export function countForJson(text: string): number | bigint {
  const n = Number(text);
  return !Number.isSafeInteger(n) && /^-?\d+$/.test(text) ? BigInt(text) : n;
}
