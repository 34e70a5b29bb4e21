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
