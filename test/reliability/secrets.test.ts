/**
 * Secrets: TLS with a self-signed CA generated here by openssl (REDIS_TLS_CA_FILE) works for the
 * library and the CLI; another CA, or none, fails with a clear certificate error; a wrong
 * password fails clearly. No password appears in any output, error or log line (all scanned).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, DEFAULT_LIMITS, type ConnectionLimits } from '../../src/redis/connection';
import { RedisAuthError } from '../../src/errors';
import { runReclaim } from '../../src/reclaim/run';
import { loadSettings, type Settings } from '../../src/config/settings';
import { uniqueName } from '../helpers/backlog';
import { ensureBuilt } from '../helpers/build';
import { checkInvariant } from '../helpers/invariant';
import { freePort } from '../helpers/redis-server';
import { useRedis } from '../helpers/use-redis';
import { OutputLog, PASSWORD, runCli, seedBacklog } from './support';

const LIMITS: ConnectionLimits = { ...DEFAULT_LIMITS, connectTimeoutMs: 1_000, commandTimeoutMs: 2_000 };
const BOUND_MS = 15_000;
let dir: string;
let tlsPort: number;
let admin: Redis;
const log = new OutputLog();

const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
};

/** A CA and, signed by it, a certificate for 127.0.0.1 (EC keys: fast to generate). */
function makePki(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=reliability test CA',
  );
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'other-ca.key',
    '-out',
    'other-ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=some other CA',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
}

useRedis(
  async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'reclaimer-pki-'));
    makePki();
    tlsPort = await freePort();
    // Plain unix socket for the test's own setup client; TLS only on the TCP port.
    return {
      args: [
        '--requirepass',
        PASSWORD,
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        join(dir, 'server.crt'),
        '--tls-key-file',
        join(dir, 'server.key'),
        '--tls-ca-cert-file',
        join(dir, 'ca.crt'),
        '--tls-auth-clients',
        'no',
      ],
    };
  },
  (started) => (admin = started.client(PASSWORD)),
);
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  // Every text the suite's files saw is scanned in each file; this one holds the TLS cases.
  expect(log.leaks(PASSWORD)).toEqual([]);
  expect(log.texts.length).toBeGreaterThan(5);
});

const tlsEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  REDIS_HOST: `127.0.0.1:${tlsPort}`,
  REDIS_TLS: 'true',
  REDIS_TLS_CA_FILE: join(dir, 'ca.crt'),
  REDIS_PASSWORD: PASSWORD,
  STREAM_NAME: uniqueName('stream'),
  STREAM_CONSUMER_GROUP_NAME: uniqueName('group'),
  HASH_KEY_FIELD: 'k',
  ...extra,
});
const settingsOf = (env: Record<string, string>): Settings => loadSettings(env);

async function failure(settings: Settings): Promise<{ error: Error | undefined; ms: number }> {
  const started = Date.now();
  const error = await connect(settings, LIMITS).then(
    (c) => (c.disconnect(), undefined),
    (e: unknown) => e as Error,
  );
  log.error('connect', error);
  return { error, ms: Date.now() - started };
}

describe('TLS with a private CA', () => {
  it('the library connects with REDIS_TLS_CA_FILE and runs', async () => {
    const settings = settingsOf(tlsEnv());
    const backlog = await seedBacklog(admin, settings, 500);
    const client = await connect(settings, LIMITS);
    try {
      const summary = await runReclaim({ client, settings, logger: log.logger('tls run') });
      log.add('summary', JSON.stringify(summary));
      expect(summary).toMatchObject({ complete: true, failed: 0 });
    } finally {
      client.disconnect();
    }
    expect((await checkInvariant(admin, settings, backlog, { final: true })).violations).toEqual([]);
  });

  it('the CLI runs over TLS (exit 0)', async () => {
    const env = tlsEnv();
    const backlog = await seedBacklog(admin, settingsOf(env), 300);
    const r = await runCli(['run', '--json'], env, log);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ complete: true, orphaned: backlog.deleted.size });
  });

  it.each([
    ['a different CA', { REDIS_TLS_CA_FILE: '' }, 'other-ca.crt'],
    ['no CA file (system trust only)', { REDIS_TLS_CA_FILE: '' }, undefined],
  ] as const)('%s: fails fast with a certificate error naming the server', async (_, extra, caFile) => {
    const env = tlsEnv({ ...extra, ...(caFile ? { REDIS_TLS_CA_FILE: join(dir, caFile) } : {}) });
    const { error, ms } = await failure(settingsOf(env));
    console.log(`[secrets] ${_}: ${error?.name}: ${error?.message} (${ms} ms)`);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(error?.message).toContain(`127.0.0.1:${tlsPort}`);
    expect(error?.message).toMatch(/certificate/i);
    expect(error?.name).toBe('RedisUnavailableError');
    expect(error?.message).toContain('REDIS_TLS_CA_FILE');
    const r = await runCli(['run', '--json'], env, log);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate/i);
    expect(r.stderr).toContain(`127.0.0.1:${tlsPort}`);
  });

  it('a wrong password: RedisAuthError, and neither password in the message', async () => {
    const wrong = 'Wr0ng-Secret-password';
    const env = tlsEnv({ REDIS_PASSWORD: wrong });
    const { error, ms } = await failure(settingsOf(env));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(error).toBeInstanceOf(RedisAuthError);
    const r = await runCli(['run', '--json'], env, log);
    expect(r.code).toBe(1);
    for (const text of [error?.message ?? '', error?.stack ?? '', r.stdout, r.stderr]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(PASSWORD);
    }
  });
});
