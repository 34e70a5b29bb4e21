/**
 * Durations as operators write them: `90` (seconds), `45s`, `30m`, `1h30m`, `7d`, `2w`; the same
 * words in help, errors and docs.
 */
import { UsageError } from '../errors';

export const DURATION_EXAMPLES = '`90` (seconds), `45s`, `30m`, `1h30m`, `7d`';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Duration text → ms; throws a UsageError naming `what` (a flag) and the accepted forms. */
export function parseDuration(text: string, what = 'a duration'): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1_000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UsageError(`Expected ${what} like ${DURATION_EXAMPLES}, got \`${text}\``);
  }
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2] as keyof typeof UNIT_MS], 0));
}
