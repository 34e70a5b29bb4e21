/**
 * Variables that look like settings but are none (`REDIS_PORT=7411`, a habit from other tools):
 * read by nothing, they would silently leave a default in place. Each gets one warning naming
 * the closest real setting; nothing fails. The known names come from the one settings schema, so
 * a setting added there is known here without an edit.
 */
import type { Env } from './settings';
import { SETTING_NAMES } from './settings-schema';

/**
 * Prefixes of the settings table shared with the platform or a library, whose other variables
 * are theirs, not typos of ours: `AZURE_*` (@azure/identity reads `AZURE_TENANT_ID`,
 * `AZURE_CLIENT_SECRET`…; the host sets `AZURE_FUNCTIONS_ENVIRONMENT`), `APPLICATIONINSIGHTS_*`
 * (the Azure Monitor distro reads `APPLICATIONINSIGHTS_STATSBEAT_DISABLED` and more).
 */
const SHARED_PREFIXES = new Set(['AZURE', 'APPLICATIONINSIGHTS']);

/** Not settings, but read by this project's own scripts and tests (which server binary to start). */
const TOOLING_VARIABLES = new Set(['REDIS_SERVER_BIN']);

/** Habits from other tools whose closest name would mislead: what to do instead. */
const HINTS: Readonly<Record<string, string>> = {
  REDIS_PORT: 'put the port in `REDIS_HOST` as host:port',
  REDIS_URL:
    'put the address in `REDIS_HOST` (host:port or a unix-socket path), the password in `REDIS_PASSWORD`, TLS in `REDIS_TLS`',
  REDIS_SSL: 'TLS is `REDIS_TLS`',
  REDIS_DB: 'the reclaimer always uses database 0 (a cluster has no other)',
  REDIS_DATABASE: 'the reclaimer always uses database 0 (a cluster has no other)',
};

const prefixOf = (name: string): string => name.split('_')[0]?.toUpperCase() ?? '';

/** The prefixes of the settings table that only our settings use. */
const OWN_PREFIXES = new Set(SETTING_NAMES.map(prefixOf).filter((p) => !SHARED_PREFIXES.has(p)));

/** One warning per variable that looks like one of ours and is not, in name order. */
export function unknownSettingWarnings(env: Env): string[] {
  const known = new Set<string>(SETTING_NAMES);
  return Object.keys(env)
    .filter((name) => env[name] !== undefined && !known.has(name) && !TOOLING_VARIABLES.has(name))
    .filter(
      (name) =>
        OWN_PREFIXES.has(prefixOf(name)) &&
        (name.includes('_') || SETTING_NAMES.some((s) => s.toUpperCase() === name.toUpperCase())),
    )
    .sort()
    .map(
      (name) =>
        `\`${name}\` is not a setting and is ignored: ${HINTS[name.toUpperCase()] ?? `did you mean \`${closest(name)}\`?`}`,
    );
}

/** The setting nearest in spelling (edit distance, case ignored); the first in the table on a tie. */
export function closest(name: string): string {
  let best: string = SETTING_NAMES[0] ?? '';
  let bestDistance = Infinity;
  for (const candidate of SETTING_NAMES) {
    const d = distance(name.toUpperCase(), candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}
