/**
 * The timer's schedule: NCRONTAB as Azure Functions reads it — six fields, seconds first.
 * croner parses it; we insist on six fields because croner would read five as minutes-first.
 */
import { Cron } from 'croner';

// NCRONTAB fires only when day-of-month AND day-of-week both match; croner's legacy mode ORs them.
// A fresh object each time: croner writes into the options it is given.
const cronOptions = () => ({ paused: true, timezone: 'UTC', legacyMode: false });

/** Returns why `expression` is not a 6-field NCRONTAB schedule, or undefined when it is. */
export function validateSchedule(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `a schedule needs 6 fields (second minute hour day month day-of-week), got ${fields.length}`;
  }
  const outOfRange = fields.map(fieldProblem).find((p) => p !== undefined);
  if (outOfRange) return outOfRange;
  try {
    new Cron(expression, cronOptions());
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The next `count` fire times after `from` (UTC, as the Functions host computes them by default). */
export function nextRuns(expression: string, count: number, from: Date): Date[] {
  const problem = validateSchedule(expression);
  if (problem) throw new Error(`Invalid schedule \`${expression}\`: ${problem}`);
  return new Cron(expression, cronOptions()).nextRuns(count, from);
}

const FIELDS = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 7 },
] as const;

/** croner says only "invalid"; the operator needs to know which field and what range it takes. */
function fieldProblem(field: string, index: number): string | undefined {
  const spec = FIELDS[index];
  if (!spec) return undefined;
  for (const part of field.split(',')) {
    const [range = ''] = part.split('/');
    const numbers = range.split('-').filter((n) => /^\d+$/.test(n));
    const bad = numbers.find((n) => Number(n) < spec.min || Number(n) > spec.max);
    if (bad !== undefined) {
      return `field ${index + 1} (${spec.name}) is \`${field}\`: expected values from ${spec.min} to ${spec.max}`;
    }
  }
  return undefined;
}
