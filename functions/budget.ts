/**
 * The run's time budget inside an invocation: MAX_RUN_SEC, capped so the run ends before the
 * host's functionTimeout (host.json) kills the invocation mid-settle.
 */
import host from '../host.json';

/** Margin left between the run's budget and the host's timeout: settling in-flight work, connecting. */
export const TIMEOUT_MARGIN_MS = 60_000;

/** `host.json` functionTimeout (`[d.]hh:mm:ss`) in ms; undefined when absent or unlimited (`-1`). */
export function parseFunctionTimeout(value: string | undefined): number | undefined {
  const match = value ? /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(value.trim()) : null;
  if (!match) return undefined;
  const [, d = '0', h = '0', m = '0', s = '0'] = match;
  return (((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

/**
 * The run's budget: MAX_RUN_SEC, shortened so the run (plus the margin) ends before the host kills
 * the invocation. With a timeout under twice the margin, half the timeout is the budget.
 */
export function runBudgetMs(maxRunMs: number, functionTimeoutMs: number | undefined): number {
  if (functionTimeoutMs === undefined) return maxRunMs;
  return Math.min(maxRunMs, Math.max(functionTimeoutMs - TIMEOUT_MARGIN_MS, functionTimeoutMs / 2));
}

/** The host.json this bundle was built with (esbuild inlines it; it is deployed alongside). */
export const FUNCTION_TIMEOUT_MS = parseFunctionTimeout((host as { functionTimeout?: string }).functionTimeout);
