/**
 * Which redis-server the demo and the tests pick, and what they say when there is none to be had,
 * for systems this machine is not (macOS, Ubuntu, Fedora, …: /etc/os-release text injected).
 * The binaries here are empty executable files: only found, never started (the demo test starts
 * real ones, fetched if need be: test/integration/demo.test.ts).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findRedisServer,
  howToInstall,
  RedisServerMissingError,
  resolveRedisServer,
  serversCache,
} from '../../../src/local/server-binary';

const root = mkdtempSync(join(tmpdir(), 'server-binary-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeBinary(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'redis-server');
  writeFileSync(file, '');
  chmodSync(file, 0o755);
  return file;
}

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_CODENAME=bookworm\n';
const UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\n';
const FEDORA = 'NAME="Fedora Linux"\nID=fedora\n';
const ALPINE = 'NAME="Alpine Linux"\nID=alpine\n';

describe('resolveRedisServer', () => {
  const said: string[] = [];
  const say = (line: string): void => void said.push(line);
  const emptyPath = join(root, 'empty-path');
  mkdirSync(emptyPath);

  it('takes REDIS_SERVER_BIN first, then the first redis-server on PATH, silently', async () => {
    const onPath = fakeBinary(join(root, 'path-b'));
    fakeBinary(join(root, 'path-c'));
    const PATH = [join(root, 'path-a-missing'), join(root, 'path-b'), join(root, 'path-c')].join(':');
    expect(await resolveRedisServer({ env: { PATH, REDIS_SERVER_BIN: '/x/valkey-server' }, say })).toBe(
      '/x/valkey-server',
    );
    expect(await resolveRedisServer({ env: { PATH }, say })).toBe(onPath);
    expect(findRedisServer(emptyPath)).toBeUndefined();
    expect(said).toEqual([]);
  });

  it('with none on PATH, uses one the cache folder already holds and says so in one line', async () => {
    const cache = join(root, 'cache-full');
    const cached = fakeBinary(join(cache, 'bin'));
    said.length = 0;
    expect(await resolveRedisServer({ env: { PATH: emptyPath, SERVERS_CACHE: cache }, say, platform: 'darwin' })).toBe(
      cached,
    );
    expect(said).toEqual([`No redis-server on PATH: using the one fetched from Debian's archive earlier, ${cached}`]);
  });

  it.each([
    ['darwin', '', /brew install redis/],
    ['linux', UBUNTU, /sudo apt-get install -y redis-server/],
    ['linux', FEDORA, /sudo dnf install -y redis/],
    ['linux', ALPINE, /apk add redis/],
    ['linux', 'ID=plan9\n', /with your system's package manager/],
  ] as const)(
    'on %s %s with an empty cache, fetches nothing and says what to install',
    async (platform, osRelease, install) => {
      said.length = 0;
      const error = await resolveRedisServer({
        env: { PATH: emptyPath, SERVERS_CACHE: join(root, 'cache-empty') },
        say,
        platform,
        osRelease,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RedisServerMissingError);
      expect((error as Error).message).toMatch(install);
      expect((error as Error).message).toContain('or set REDIS_SERVER_BIN');
      expect(said).toEqual([]);
    },
  );

  it('on Debian, fetches with the install script and reports its failure with what to install', async () => {
    const script = join(root, 'failing-install.sh');
    writeFileSync(script, 'echo "E: the mirror cannot be reached" >&2; exit 100\n');
    said.length = 0;
    const cache = join(root, 'cache-fetch');
    const error = await resolveRedisServer({
      env: { PATH: emptyPath, SERVERS_CACHE: cache },
      say,
      platform: 'linux',
      osRelease: DEBIAN,
      script,
    }).catch((e: unknown) => e);
    expect(said).toEqual([
      `No redis-server on PATH: fetching Debian bookworm's into ${cache} (no root, nothing system-wide changed)…`,
    ]);
    expect(error).toBeInstanceOf(RedisServerMissingError);
    expect((error as Error).message).toContain(
      "Fetching it from Debian's archive failed: E: the mirror cannot be reached",
    );
    expect((error as Error).message).toContain('sudo apt-get install -y redis-server');
  });
});

describe('serversCache and howToInstall', () => {
  it('default to the folder CI installs into; SERVERS_CACHE overrides', () => {
    expect(serversCache({ HOME: '/home/u' })).toBe('/home/u/.cache/stream-reclaimer/servers');
    expect(serversCache({ HOME: '/home/u', SERVERS_CACHE: '/c' })).toBe('/c');
    expect(howToInstall('linux', DEBIAN)).toMatch(/apt-get/);
  });
});
