/**
 * The built CLI as an operator meets it: help and version, one-line usage errors, the messages
 * for common mistakes (TLS against a plain server, wrong or unneeded password, an HTTP port,
 * missing stream or group), per-command settings, and the progress bar on a pseudo-terminal.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { addEntries, createGroup, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { runCli } from '../helpers/cli';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

const PASSWORD = 'op-Secret-9f2';
let open: RedisServer;
let locked: RedisServer;

useRedis({ tcp: true }, (started) => (open = started));
useRedis({ tcp: true, args: ['--requirepass', PASSWORD] }, (started) => (locked = started));
beforeAll(() => ensureBuilt());

const at = (server: RedisServer, extra: Record<string, string> = {}): Record<string, string> => ({
  REDIS_HOST: `127.0.0.1:${server.port}`,
  REDIS_TLS: 'false',
  STREAM_NAME: 'orders',
  STREAM_CONSUMER_GROUP_NAME: 'workers',
  ...extra,
});

describe('help, version and usage errors', () => {
  it('--version prints package.json version; no arguments prints the help on stdout with exit 0', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await runCli(['--version'], {})).toMatchObject({ code: 0, stdout: `${version}\n` });
    const bare = await runCli([], {});
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^Usage: stream-reclaimer/);
  });

  it('--help lists the environment variables, the exit codes and examples', async () => {
    const help = await runCli(['--help'], {});
    for (const text of [
      'REDIS_HOST',
      'REDIS_TLS=false',
      'RECLAIM_SCHEDULE',
      'Exit codes:',
      '2  usage or settings error',
      'Examples:',
      'dlq purge --older-than 7d -y',
    ]) {
      expect(help.stdout).toContain(text);
    }
  });

  it('a usage error is one line and a pointer at --help, exit 2', async () => {
    const r = await runCli(['run', '--bogus'], {});
    expect([r.code, r.stderr]).toEqual([
      2,
      "error: unknown option '--bogus'\n(run `stream-reclaimer run --help` for usage)\n",
    ]);
  });
});

describe('messages for common mistakes', () => {
  it('TLS (the default) against a plain server suggests REDIS_TLS=false; an IP host draws no DEP0123 warning', async () => {
    const { REDIS_TLS: _, ...env } = at(open);
    const r = await runCli(['stats'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no TLS handshake within 2000 ms');
    expect(r.stderr).toContain('`REDIS_TLS=false` turns TLS off');
    expect(r.stderr).not.toMatch(/DEP0123|ETIMEDOUT/);
  });

  it('a wrong password points at REDIS_USERNAME/REDIS_PASSWORD; an unneeded one is a clear warning, not ioredis [WARN]', async () => {
    const wrong = await runCli(['stats'], at(locked, { REDIS_PASSWORD: 'not-it' }));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('(check `REDIS_USERNAME` and `REDIS_PASSWORD`)');
    const unneeded = await runCli(['stats'], at(open, { REDIS_PASSWORD: PASSWORD }));
    expect(unneeded.stderr).toContain(
      'warning: the server accepts connections without a password, but REDIS_PASSWORD is set',
    );
    expect(unneeded.stderr).not.toContain('[WARN]');
    expect(wrong.stderr + unneeded.stderr).not.toContain(PASSWORD);
  });

  it('an HTTP port is named as one', async () => {
    const http: Server = createServer((_, res) => res.end('<html></html>'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const port = (http.address() as { port: number }).port;
      const r = await runCli(['stats'], { ...at(open), REDIS_HOST: `127.0.0.1:${port}` });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `127.0.0.1:${port} answered like an HTTP server, not Redis: check the port in \`REDIS_HOST\``,
      );
    } finally {
      http.close();
    }
  });

  it('a missing stream and a missing group are told apart', async () => {
    const stream = uniqueName('s');
    await createGroup(open.client(), stream, 'workers');
    const noStream = await runCli(['stats', '-s', `${stream}-typo`], at(open));
    expect(noStream.stderr).toContain(`Stream \`${stream}-typo\` does not exist`);
    const noGroup = await runCli(['run', '-s', stream, '-g', 'workerz'], at(open));
    expect(noGroup.code).toBe(1);
    expect(noGroup.stderr).toContain(`has no consumer group \`workerz\` (its groups: workers)`);
  });

  it('--otlp to a collector that does not answer: a warning, and the run still exits 0', async () => {
    const stream = uniqueName('s');
    await createGroup(open.client(), stream, 'workers');
    const r = await runCli(['run', '-s', stream, '--otlp', 'http://127.0.0.1:1'], at(open));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: telemetry was not delivered to http://127.0.0.1:1 within 2000 ms');
  });

  it('settings: a missing CA file is exit 2; lenient booleans; each command checks only what it reads', async () => {
    const ca = await runCli(['stats'], at(open, { REDIS_TLS: 'TRUE', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }));
    expect(ca.code).toBe(2);
    expect(ca.stderr).toContain('Expected `REDIS_TLS_CA_FILE` to be the path of an existing PEM file');
    const stream = uniqueName('s');
    await createGroup(open.client(), stream, 'workers');
    const stats = await runCli(
      ['stats', '-s', stream],
      at(open, { REDIS_TLS: 'No', RECLAIM_SCHEDULE: '61 * * * * *' }),
    );
    expect(stats.code).toBe(0);
    const watch = await runCli(['watch'], at(open, { RECLAIM_SCHEDULE: '61 * * * * *' }));
    expect(watch.code).toBe(2);
    expect(watch.stderr).toContain('field 1 (second) is `61`: expected values from 0 to 59');
  });
});

/** Runs a shell command on a pseudo-terminal (util-linux `script`); resolves with everything it printed. */
function onTerminal(command: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe.skipIf(!hasScript())('progress on a terminal', () => {
  it('draws the bar on stderr even when stdout is piped (| cat); no bar for an empty PEL', async () => {
    const stream = uniqueName('s');
    const redis = open.client();
    await addEntries(
      redis,
      stream,
      Array.from({ length: 40 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, 'workers');
    await readAsConsumer(redis, stream, 'workers', 'crashed', 40, { idleMs: 600_000 });
    const cli = `${process.execPath} bin/stream-reclaimer.js`;
    const piped = await onTerminal(`${cli} run -s ${stream} | cat`, at(open));
    expect(piped.code).toBe(0);
    expect(piped.output).toMatch(/reclaiming \[=+\] 40\/40 scanned/);
    // The log line has a line of its own, never the bar's.
    const logLine = piped.output.split('\n').find((line) => line.includes('info: run started'));
    expect(logLine).toBeDefined();
    expect(logLine).not.toContain('reclaiming');
    expect(piped.output).toMatch(/processed\s+40/);
    const empty = await onTerminal(`${cli} run -s ${stream}`, at(open));
    expect(empty.output).toMatch(/scanned\s+0/);
    expect(empty.output).not.toContain('reclaiming [');
  });

  it('several targets: the bar counts targets done and shows the totals; each finished target is printed above it', async () => {
    const [a, b] = [uniqueName('s'), uniqueName('s')];
    const redis = open.client();
    for (const [stream, n] of [
      [a, 30],
      [b, 20],
    ] as const) {
      await addEntries(
        redis,
        stream,
        Array.from({ length: n }, (_, i) => tweet(i)),
      );
      await createGroup(redis, stream, 'workers');
      await readAsConsumer(redis, stream, 'workers', 'crashed', n, { idleMs: 600_000 });
    }
    const cli = `${process.execPath} bin/stream-reclaimer.js`;
    const { code, output } = await onTerminal(`${cli} run -s ${a},${b} | cat`, at(open));
    expect(code).toBe(0);
    expect(output).toMatch(/targets \[=+\] 2\/2 done \| 50 processed, 0 dead-lettered, 0 failed, 50 scanned/);
    // Each target's line on a line of its own, above the bar (and again in the summary on stdout).
    // What the terminal shows: a new line, or a return to column 1 (then the line is cleared), starts a line.
    // eslint-disable-next-line no-control-regex -- the terminal's escape sequences
    const lines = output.split(/\r?\n|\u001b\[1G/).map((line) => line.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''));
    for (const [stream, n] of [
      [a, 30],
      [b, 20],
    ] as const) {
      const own = lines.filter((line) => line.startsWith(`  ${stream} / workers: ${n} processed`));
      expect(own.length, output).toBeGreaterThanOrEqual(2);
      expect(own.every((line) => !line.includes('targets ['))).toBe(true);
    }
  });
});

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
