/**
 * The timer's schedule: NCRONTAB as Azure Functions reads it — six fields, seconds first.
 * croner parses it; we insist on six fields because croner would read five as minutes-first.
 */
import { Cron } from 'croner';

/** Returns why `expression` is not a 6-field NCRONTAB schedule, or undefined when it is. */
export function validateSchedule(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `a schedule needs 6 fields (second minute hour day month day-of-week), got ${fields.length}`;
  }
  try {
    new Cron(expression, { paused: true });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The next `count` fire times after `from` (UTC, as the Functions host computes them by default). */
export function nextRuns(expression: string, count: number, from: Date): Date[] {
  const problem = validateSchedule(expression);
  if (problem) throw new Error(`Invalid schedule \`${expression}\`: ${problem}`);
  return new Cron(expression, { paused: true, timezone: 'UTC' }).nextRuns(count, from);
}
