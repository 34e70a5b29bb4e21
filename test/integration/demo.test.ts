/** `stream-reclaimer demo` (what `npm run demo` runs after building) works and leaves nothing running. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { serversCache } from '../../src/local/server-binary';

const bin = 'bin/stream-reclaimer.js';

beforeAll(() => {
  // CI builds before testing; `npm run demo` itself would rebuild dist under parallel tests.
  if (!existsSync('dist/cli/index.js') || !existsSync('dist/functions/index.js')) {
    spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  }
});

describe('stream-reclaimer demo', () => {
  it('reclaims three targets (two streams, one with two groups) in one timer invocation, exits 0, leaves no redis-server', () => {
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

    expect(out).toMatch(
      /PEL before, orders \/ fulfilment: 300 pending\n\s+worker-1\s+260 pending, oldest idle 900 s\n\s+worker-2\s+40 pending/,
    );
    expect(out).toMatch(/PEL before, orders \/ billing: 90 pending\n\s+biller-1\s+90 pending, oldest idle 900 s\n/);
    expect(out).toMatch(
      /PEL before, payments \/ settlement: 70 pending\n\s+settler-1\s+70 pending, oldest idle 900 s\n/,
    );
    expect(out).toMatch(/registered: reclaim\b.*\n`reclaim` is a timerTrigger on %RECLAIM_SCHEDULE%/);
    // The summary line the function logged through its context: one invocation, three targets.
    const logged = /\[function reclaim information\] (\{"stream".*\})/.exec(out);
    const summary = JSON.parse(logged?.[1] ?? '{}');
    expect(summary).toMatchObject({
      stream: 'orders,payments',
      group: '*',
      scanned: 420,
      processed: 359,
      deadLettered: 47,
      orphaned: 14,
      failed: 0,
      complete: true,
    });
    const outcome = (t: {
      stream: string;
      group: string;
      scanned: number;
      processed: number;
      deadLettered: number;
      orphaned: number;
      failed: number;
      complete: boolean;
    }): string =>
      `${t.stream}/${t.group}: ${t.scanned} scanned, ${t.processed} processed, ${t.deadLettered} dead-lettered, ${t.orphaned} orphaned, ${t.failed} failed, complete ${t.complete}`;
    expect(summary.targets.map(outcome)).toEqual([
      'orders/billing: 90 scanned, 77 processed, 10 dead-lettered, 3 orphaned, 0 failed, complete true',
      'orders/fulfilment: 260 scanned, 223 processed, 29 dead-lettered, 8 orphaned, 0 failed, complete true',
      'payments/settlement: 70 scanned, 59 processed, 8 dead-lettered, 3 orphaned, 0 failed, complete true',
    ]);
    expect(out).toMatch(/PEL after, orders \/ fulfilment: 40 pending\n\s+worker-2\s+40 pending/);
    expect(out).toMatch(
      /PEL after, orders \/ billing: 0 pending\n\s+\(none\)\nPEL after, payments \/ settlement: 0 pending\n\s+\(none\)\n/,
    );
    // Both groups of orders write the same hashes (one per order); payments has its own.
    expect(out).toContain(
      'Hashes written: 223 (orders:order-1000 … orders:order-1259)\n    e.g. HGETALL orders:order-1000 → orderId=order-1000 customer=c0 amount=0.99 status=paid\n',
    );
    expect(out).toContain(
      'Hashes written: 59 (payments:order-1000 … payments:order-1068)\n    e.g. HGETALL payments:order-1000 → orderId=order-1000 method=card amount=0.99 status=settled\n',
    );
    expect(out).toMatch(
      /Dead letters in orders:dlq: 39 \(billing 10, fulfilment 29\)\n\s+max-deliveries: 24[\s\S]*missing-key-field: 15/,
    );
    expect(out).toMatch(/Dead letters in payments:dlq: 8\n\s+max-deliveries: 5[\s\S]*missing-key-field: 3/);
    // The printed summary: totals, then a line per target.
    expect(out).toMatch(
      /stream orders,payments, group \*\n\s+scanned\s+420\n[\s\S]*targets \(3\):\n\s+orders \/ billing: 77 processed, 10 dead-lettered/,
    );
    // requeue next to process: copies handed back and read by a live consumer, no hash.
    expect(out).toContain('one run: 6 scanned, 6 requeued, 0 processed (no hash written), PEL now 0');
    expect(out).toMatch(
      /indexer-2, alive, reads 6 copies with `>`, e\.g\. \S+ → doc doc-0 action index reclaim\.origin \S+ reclaim\.deliveries 1\n/,
    );
  });

  it('with no redis-server on PATH: uses the one in the servers cache (on Debian fetched first), says so in one line, runs', () => {
    // A PATH holding nothing but node and bash (the cache's wrappers are bash scripts; every shell's
    // PATH has it); REDIS_SERVER_BIN unset. Works whether or not the machine has a redis-server
    // elsewhere, and whether or not an earlier run left one in the cache.
    const onlyNode = mkdtempSync(join(tmpdir(), 'path-without-redis-'));
    symlinkSync(process.execPath, join(onlyNode, 'node'));
    symlinkSync('/bin/bash', join(onlyNode, 'bash'));
    const env: Record<string, string | undefined> = { ...process.env, PATH: onlyNode, REDIS_SERVER_BIN: undefined };
    const cached = join(serversCache(env), 'bin', 'redis-server');
    const canFetch =
      existsSync(cached) ||
      /^ID=debian$/m.test(existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '');
    const run = spawnSync(process.execPath, [bin, 'demo'], { encoding: 'utf8', timeout: 600_000, env });
    rmSync(onlyNode, { recursive: true, force: true });
    if (!canFetch) {
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/none is on PATH\.\nInstall .* and run it again \(or set REDIS_SERVER_BIN to one\)/);
      return;
    }
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const said = run.stdout.split('\n').filter((line) => line.startsWith('No redis-server on PATH'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/using the one fetched from Debian's archive earlier|fetching Debian \w+'s into/);
    expect(said[0]).toContain(serversCache(env));
    expect(run.stdout).toMatch(/\[function reclaim information\] \{"stream":"orders,payments".*"complete":true/);
    expect(run.stdout).toContain('nothing is left running');
    expect(existsSync(cached)).toBe(true);
  }, 600_000);
});
