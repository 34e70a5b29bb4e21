/** Where the server is: `REDIS_HOST` parsed (host and port, or a unix socket), and described for messages. */
import { CHECKS } from './settings-schema';

/** Parses `REDIS_HOST`; a bad value is pushed to `problems` and leaves the host empty. */
export function parseHost(
  value: string | undefined,
  problems: { push: (p: string) => void },
): { host: string; port: number; path?: string } {
  if (value === undefined) return { host: '', port: 6379 };
  if (value.startsWith('/')) return { host: '', port: 0, path: value };
  const match = /^(?:\[([^\]]+)\]|([^:/\s]+))(?::(\d{1,5}))?$/.exec(value);
  const port = match?.[3] === undefined ? 6379 : Number(match[3]);
  if (!match || port < 1 || port > 65535) {
    problems.push(`Expected \`REDIS_HOST\` to be ${CHECKS.REDIS_HOST.expected}, got \`${value}\``);
    return { host: '', port: 6379 };
  }
  return { host: match[1] ?? match[2] ?? '', port };
}

/** A short, secret-free description of where the server is, for messages. */
export function describeServer(s: {
  readonly redisHost: string;
  readonly redisPort: number;
  readonly redisPath: string | undefined;
}): string {
  return s.redisPath ?? `${s.redisHost}:${s.redisPort}`;
}
