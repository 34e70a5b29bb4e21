/**
 * The key patterns (`~glob`) of the ACL rule: every configured stream, its dead-letter stream
 * and its hashes. Pure. Redis matches ACL key patterns with the same glob matcher as SCAN MATCH
 * (`stringmatchlen`), so a pattern derived from `STREAM_PATTERN` by appending to it covers exactly
 * the keys of the streams SCAN finds.
 */
import { UsageError } from '../errors';
import type { TargetSpec } from '../config/settings';
import { globTokens } from '../config/glob';

export interface AclKeySettings {
  readonly streamName: string;
  readonly deadLetterStream: string;
  readonly hashKeyPrefix: string;
  /** Several streams or a pattern; absent (hand-built settings): `streamName` with the two keys above. */
  readonly targets?: TargetSpec;
}

/** `~pattern` for an exact key: glob characters escaped. */
export function exactKey(key: string): string {
  return `~${globEscape(key)}`;
}

/**
 * Glob characters escaped. Redis refuses a key pattern with whitespace (a syntax error), so
 * each whitespace character becomes `?`: the pattern then also matches that character's
 * neighbours (see widenedNames).
 */
const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`).replace(/\s/g, '?');

/** A token with whitespace (a character, an escape, a class) becomes `?`: any one character, a superset. */
function patternGlob(pattern: string): string {
  const tokens = globTokens(pattern);
  if (tokens === undefined) {
    throw new UsageError(
      `Expected \`STREAM_PATTERN\` to close every \`[\` and not to end with a lone \`\\\` (the ACL rule derives key patterns from it by appending to it), got \`${pattern}\``,
    );
  }
  return tokens.map((t) => (/\s/.test(t) ? '?' : t)).join('');
}

/** The globs of each stream: the stream, its dead-letter stream, its hashes (unescaped, no `~`). */
function keyGlobs(s: AclKeySettings): string[] {
  const spec = s.targets;
  if (spec === undefined)
    return [globEscape(s.streamName), globEscape(s.deadLetterStream), `${globEscape(s.hashKeyPrefix)}*`];
  const deadLetter = (stream: string): string =>
    spec.deadLetterStream === undefined ? `${stream}:dlq` : globEscape(spec.deadLetterStream);
  const hashes = (stream: string): string =>
    `${spec.hashKeyPrefix === undefined ? `${stream}:` : globEscape(spec.hashKeyPrefix)}*`;
  if ('pattern' in spec) {
    // `<stream>:dlq` and `<stream>:<key>` of every stream the pattern matches.
    const p = patternGlob(spec.pattern);
    return [p, deadLetter(p), hashes(p)];
  }
  return spec.streams.flatMap((stream) => [
    globEscape(stream),
    deadLetter(globEscape(stream)),
    hashes(globEscape(stream)),
  ]);
}

/**
 * Whether every key `inner` matches, `outer` matches too, judged simply: `outer` is `stem*` and
 * `inner` starts with the tokens of `stem` (then `*` matches the rest of any key).
 */
function covers(outer: string, inner: string): boolean {
  const tokens = globTokens(outer);
  if (outer === inner || tokens === undefined || tokens[tokens.length - 1] !== '*') return false;
  const stem = tokens.slice(0, -1).join('');
  let prefix = '';
  for (const t of globTokens(inner) ?? []) {
    if (prefix.length >= stem.length) break;
    prefix += t;
  }
  return prefix === stem;
}

/**
 * The key patterns: each stream, its dead-letter stream and `<hash prefix>*`, without those
 * another one covers (the default `<stream>:dlq` under `<stream>:*`), each once, in order.
 */
export function aclKeys(settings: AclKeySettings): string[] {
  const kept: string[] = [];
  for (const glob of keyGlobs(settings)) {
    if (kept.some((k) => k === glob || covers(k, glob))) continue;
    // Two globs may cover each other (`a*`, `a**`): the one kept first stays.
    kept.splice(0, kept.length, ...kept.filter((k) => !covers(glob, k)), glob);
  }
  return kept.map((g) => `~${g}`);
}

/** The settings whose key names hold whitespace, so their patterns match a little more than the name. */
export function widenedNames(settings: AclKeySettings): string[] {
  const spec = settings.targets;
  const names: Record<string, readonly string[]> = {
    STREAM_NAME: spec === undefined ? [settings.streamName] : 'streams' in spec ? spec.streams : [],
    STREAM_PATTERN: spec !== undefined && 'pattern' in spec ? [spec.pattern] : [],
    DEAD_LETTER_STREAM: [spec === undefined ? settings.deadLetterStream : (spec.deadLetterStream ?? '')],
    HASH_KEY_PREFIX: [spec === undefined ? settings.hashKeyPrefix : (spec.hashKeyPrefix ?? '')],
  };
  return Object.entries(names)
    .filter(([, values]) => values.some((v) => /\s/.test(v)))
    .map(([name]) => name);
}
