/** The Functions app's files agree with each other and with docs/design.md §6: host.json, local settings, budget, scripts. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_MS, parseFunctionTimeout, runBudgetMs, TIMEOUT_MARGIN_MS } from '../../../functions/budget';
import { DEFAULTS, loadSettings, SETTING_NAMES } from '../../../src/config/settings';

const json = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

describe('host.json', () => {
  const host = json('host.json');
  it('is version 2.0 without an extension bundle (timer and HTTP are built into the host; docs/deploy.md)', () => {
    expect(host.version).toBe('2.0');
    // A bundle is downloaded at host start: without network the host never starts, on Azure it costs the cold start.
    expect(host).not.toHaveProperty('extensionBundle');
    expect(host.logging).toBeTypeOf('object');
  });
  it('has a functionTimeout that fits the default MAX_RUN_SEC plus the margin', () => {
    const defaultRunMs = Number(DEFAULTS.MAX_RUN_SEC) * 1000;
    expect(FUNCTION_TIMEOUT_MS).toBeDefined();
    expect(defaultRunMs + TIMEOUT_MARGIN_MS).toBeLessThanOrEqual(FUNCTION_TIMEOUT_MS ?? 0);
    expect(runBudgetMs(defaultRunMs, FUNCTION_TIMEOUT_MS)).toBe(defaultRunMs);
  });
});

describe('the run budget inside an invocation', () => {
  it('parses functionTimeout as the host does', () => {
    expect(parseFunctionTimeout('00:10:00')).toBe(600_000);
    expect(parseFunctionTimeout('01:30:05')).toBe(5_405_000);
    expect(parseFunctionTimeout('1.00:00:00')).toBe(86_400_000);
    expect(parseFunctionTimeout('-1')).toBeUndefined();
    expect(parseFunctionTimeout(undefined)).toBeUndefined();
  });
  it('is MAX_RUN_SEC, capped to end a margin before the timeout', () => {
    expect(runBudgetMs(240_000, 600_000)).toBe(240_000);
    expect(runBudgetMs(240_000, 180_000)).toBe(120_000);
    expect(runBudgetMs(240_000, 60_000)).toBe(30_000);
    expect(runBudgetMs(900_000, undefined)).toBe(900_000);
  });
});

describe('local.settings.example.json', () => {
  const file = json('local.settings.example.json');
  const values = file.Values as Record<string, string>;
  it('is the Core Tools shape with Azurite storage and the node worker', () => {
    expect(file.IsEncrypted).toBe(false);
    expect(values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    expect(values.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
  });
  it('lists every setting the product reads, and nothing else', () => {
    const names = Object.keys(values).filter((n) => n !== 'FUNCTIONS_WORKER_RUNTIME' && n !== 'AzureWebJobsStorage');
    expect(names.sort()).toEqual([...SETTING_NAMES].sort());
  });
  it('is valid as it stands, with the documented default schedule', () => {
    expect(() => loadSettings(values)).not.toThrow();
    expect(values.RECLAIM_SCHEDULE).toBe(DEFAULTS.RECLAIM_SCHEDULE);
  });
});

describe('package.json', () => {
  const pkg = json('package.json');
  it('points main at the built functions bundle and has the scripts of docs/design.md §6', () => {
    expect(pkg.main).toBe('dist/functions/index.js');
    const scripts = pkg.scripts as Record<string, string>;
    for (const name of ['build', 'watch', 'typecheck', 'prestart', 'start', 'test', 'demo'])
      expect(scripts[name]).toBeTruthy();
    expect(scripts.start).toBe('func start');
    expect(scripts.prestart).toMatch(/build/);
  });
});
