/**
 * Which redis-server the demo (and the tests: test/helpers/global-build.ts) start, so that
 * `npm ci && npm run demo` and `npm test` need nothing installed first: `REDIS_SERVER_BIN`, else
 * the first `redis-server` on PATH, else one fetched earlier into the servers cache folder, else,
 * on Debian, this machine's release's Redis fetched now into that folder by
 * scripts/install-servers.sh (Debian's archive through a side apt configuration: no root,
 * nothing system-wide changed). Anywhere else: an error saying what to install.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** Thrown when no redis-server can be found or fetched; the CLI turns it into exit 2. */
export class RedisServerMissingError extends Error {
  override readonly name = 'RedisServerMissingError';
  constructor(howToInstall: string, detail = '') {
    super(
      `a local \`redis-server\` binary is needed and none is on PATH.\n${detail}${howToInstall} and run it again (or set REDIS_SERVER_BIN to one).`,
    );
  }
}

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The first executable `redis-server` on `pathVar`, or undefined. */
export function findRedisServer(pathVar: string | undefined): string | undefined {
  return (pathVar ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'redis-server'))
    .find(executable);
}

/** The folder scripts/install-servers.sh installs into (the same default as CI's). */
export function serversCache(env: Readonly<Record<string, string | undefined>>): string {
  return env.SERVERS_CACHE || join(env.HOME || homedir(), '.cache', 'stream-reclaimer', 'servers');
}

/** `KEY=value` lines of /etc/os-release, unquoted. */
function osReleaseFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of text.matchAll(/^([A-Z_]+)=("?)(.*)\2$/gm)) fields[match[1] as string] = match[3] as string;
  return fields;
}

/** What to install, in this system's own words. */
export function howToInstall(platform: NodeJS.Platform, osRelease: string): string {
  if (platform === 'darwin') return 'Install it with Homebrew (`brew install redis`)';
  const os = osReleaseFields(osRelease);
  const family = `${os.ID ?? ''} ${os.ID_LIKE ?? ''}`;
  if (/\b(debian|ubuntu)\b/.test(family)) return 'Install it (`sudo apt-get install -y redis-server`)';
  if (/\b(fedora|rhel|centos)\b/.test(family)) return 'Install it (`sudo dnf install -y redis` or `valkey`)';
  if (/\balpine\b/.test(family)) return 'Install it (`apk add redis`)';
  if (/\barch\b/.test(family)) return 'Install it (`sudo pacman -S valkey`)';
  return "Install Redis (its `redis-server`) with your system's package manager";
}

// Only the system's own tools run the fetch, whatever PATH the caller has.
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const INSTALL_SCRIPT = resolve(__dirname, '..', '..', 'scripts', 'install-servers.sh');
const FETCH_TIMEOUT_MS = 10 * 60_000;

export interface ServerLookup {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the one line saying what happened goes. */
  readonly say: (line: string) => void;
  readonly platform?: NodeJS.Platform;
  /** The text of /etc/os-release (tests inject another system's). */
  readonly osRelease?: string;
  readonly script?: string;
}

/** The redis-server binary to start; may fetch one (minutes at most; bounded). */
export async function resolveRedisServer(lookup: ServerLookup): Promise<string> {
  const { env, say } = lookup;
  if (env.REDIS_SERVER_BIN) return env.REDIS_SERVER_BIN;
  const onPath = findRedisServer(env.PATH);
  if (onPath) return onPath;

  const cache = serversCache(env);
  const cached = join(cache, 'bin', 'redis-server');
  if (executable(cached)) {
    say(`No redis-server on PATH: using the one fetched from Debian's archive earlier, ${cached}`);
    return cached;
  }
  const platform = lookup.platform ?? process.platform;
  const osRelease = lookup.osRelease ?? (existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '');
  const os = osReleaseFields(osRelease);
  const script = lookup.script ?? INSTALL_SCRIPT;
  const canFetch =
    platform === 'linux' &&
    os.ID === 'debian' &&
    !!os.VERSION_CODENAME &&
    existsSync(script) &&
    ['/usr/bin/apt-get', '/usr/bin/dpkg'].every(executable);
  if (!canFetch) throw new RedisServerMissingError(howToInstall(platform, osRelease));

  say(
    `No redis-server on PATH: fetching Debian ${os.VERSION_CODENAME}'s into ${cache} (no root, nothing system-wide changed)…`,
  );
  const failure = await new Promise<string | undefined>((done) => {
    execFile(
      '/bin/bash',
      [script, cache, 'release'],
      { env: { PATH: SYSTEM_PATH, HOME: env.HOME ?? homedir() }, timeout: FETCH_TIMEOUT_MS },
      (error, _stdout, stderr) =>
        done(error ? `${stderr.trim() || error.message}`.split('\n').slice(-3).join('\n') : undefined),
    );
  });
  if (failure !== undefined || !executable(cached)) {
    throw new RedisServerMissingError(
      howToInstall(platform, osRelease),
      `Fetching it from Debian's archive failed: ${failure ?? 'no server was installed'}\n`,
    );
  }
  return cached;
}
