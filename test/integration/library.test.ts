/**
 * The library as a program that embeds it sees it: `require('stream-reclaimer')` resolved through
 * package.json `exports` (the built dist/lib, from the global setup) in a separate Node process,
 * running the README's example (a custom processor that dead-letters one entry) against a real
 * redis-server.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addEntries, createGroup, readAsConsumer, tweet, uniqueName } from '../helpers/backlog';
import { cliEnv } from '../helpers/operator';
import type { RedisServer } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';

let server: RedisServer;
const app = mkdtempSync(join(tmpdir(), 'embedding-app-'));

useRedis({}, (started) => (server = started));
beforeAll(async () => {
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(resolve('.'), join(app, 'node_modules', 'stream-reclaimer'), 'dir');
});
afterAll(async () => {
  rmSync(app, { recursive: true, force: true });
});

const PROGRAM = `
const { connect, loadSettings, runReclaim, UnprocessableEntryError } = require('stream-reclaimer');
(async () => {
  const settings = loadSettings(process.env);
  const client = await connect(settings);
  const seen = [];
  const summary = await runReclaim({
    client,
    settings,
    processor: {
      async process(entry) {
        seen.push(entry.id);
        if (entry.fields[3].toString() === '7') throw new UnprocessableEntryError('bad payload');
      },
    },
  });
  client.disconnect();
  console.log(JSON.stringify({ summary, seen: seen.length }));
})().catch((e) => { console.error(e.name + ': ' + e.message); process.exit(1); });
`;

describe('the library (package.json exports)', () => {
  it('exports the public surface and nothing internal', () => {
    const names = execFileSync(
      process.execPath,
      ['-e', "console.log(Object.keys(require('stream-reclaimer')).sort().join(','))"],
      { cwd: app, encoding: 'utf8' },
    );
    expect(names.trim().split(',')).toEqual([
      'ActionProcessorError',
      'DiscoveryTimeoutError',
      'EntraTokenError',
      'KeySlotError',
      'LeaseArgumentError',
      'MissingGroupError',
      'MissingStreamError',
      'NodeUnavailableError',
      'RedisAuthError',
      'RedisUnavailableError',
      'SettingsError',
      'UnprocessableEntryError',
      'UsageError',
      'WrongTypeError',
      'connect',
      'loadSettings',
      'renewLease',
      'runReclaim',
      'runTargets',
    ]);
  });

  it("runs the README's example: a custom processor, one entry dead-lettered by UnprocessableEntryError", async () => {
    const stream = uniqueName('stream');
    const group = uniqueName('group');
    const redis = server.client();
    await addEntries(
      redis,
      stream,
      Array.from({ length: 20 }, (_, i) => tweet(i)),
    );
    await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', 20, { idleMs: 600_000 });
    writeFileSync(join(app, 'main.js'), PROGRAM);
    const out = execFileSync(process.execPath, ['main.js'], {
      cwd: app,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', REDIS_TLS: 'false', ...cliEnv(server, stream, group) },
    });
    const { summary, seen } = JSON.parse(out) as { summary: Record<string, unknown>; seen: number };
    expect(seen).toBe(20);
    expect(summary).toMatchObject({ processed: 19, deadLettered: 1, failed: 0, complete: true, stopReason: 'covered' });
    expect(await redis.xlen(`${stream}:dlq`)).toBe(1);
  });
});
