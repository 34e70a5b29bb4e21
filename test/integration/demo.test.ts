/** `stream-reclaimer demo` (what `npm run demo` runs after building) works and leaves nothing running. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = 'bin/stream-reclaimer.js';

beforeAll(() => {
  // CI builds before testing; `npm run demo` itself would rebuild dist under parallel tests.
  if (!existsSync('dist/cli/index.js') || !existsSync('dist/functions/index.js')) {
    spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  }
});

describe('stream-reclaimer demo', () => {
  it('reclaims the seeded backlog through the timer function, exits 0, leaves no redis-server', () => {
    const run = spawnSync(process.execPath, [bin, 'demo'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = run.stdout;

    const started = /Started a throwaway redis-server \(pid (\d+)\) on (\S+)/.exec(out);
    expect(started).not.toBeNull();
    const pid = Number(started?.[1]);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(existsSync(dirname(started?.[2] ?? '/nonexistent/x'))).toBe(false);
    expect(out).toContain(`Stopped redis-server (pid ${pid})`);

    expect(out).toMatch(/PEL before: 300 pending\n\s+worker-1\s+260 pending, oldest idle 900 s\n\s+worker-2\s+40 pending/);
    expect(out).toMatch(/registered: reclaim\b.*\n`reclaim` is a timerTrigger on %RECLAIM_SCHEDULE%/);
    // The summary line the function logged through its context.
    const logged = /\[function reclaim information\] (\{.*\})/.exec(out);
    expect(JSON.parse(logged?.[1] ?? '{}')).toMatchObject({
      stream: 'orders',
      group: 'fulfilment',
      scanned: 260,
      processed: 223,
      deadLettered: 29,
      orphaned: 8,
      failed: 0,
      complete: true,
    });
    expect(out).toMatch(/PEL after: 40 pending\n\s+worker-2\s+40 pending/);
    expect(out).toMatch(/Hashes written: 223 \(orders:order-1000/);
    expect(out).toMatch(/Dead letters in orders:dlq: 29\n\s+max-deliveries: 18[\s\S]*missing-key-field: 11/);
  });

  it('without redis-server on PATH: says how to install it, exits 2', () => {
    const run = spawnSync(process.execPath, [bin, 'demo'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: '/nonexistent' } });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('apt-get install -y redis-server');
    expect(run.stdout).toBe('');
  });
});
