/**
 * Every key name the product touches is built here, and here we decide whether the keys share
 * one cluster slot (same hash tag), which the atomic scripts need.
 */
import type { Settings } from '../config/settings';

/** The Redis Cluster hash tag of a key: the text between the first `{` and the next `}`, if not empty. */
export function hashTag(key: string | Buffer): string | undefined {
  const text = typeof key === 'string' ? key : key.toString('latin1');
  const open = text.indexOf('{');
  if (open < 0) return undefined;
  const close = text.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return text.slice(open + 1, close);
}

/**
 * True when `key` carries `stream`'s hash tag, so the cluster puts both in one slot. The one
 * definition of the rule: the fast path's script is sent only after this check (reclaim-page.ts).
 */
export function carriesTagOf(key: string | Buffer, stream: string | Buffer): boolean {
  const tag = hashTag(stream);
  return tag !== undefined && hashTag(key) === tag;
}

export interface Keys {
  readonly stream: string;
  readonly deadLetter: string;
  readonly hashPrefix: string;
  /**
   * True when the stream, the dead-letter stream and every hash key (prefix + anything) land in
   * one slot: the prefix carries a complete hash tag equal to the stream's.
   */
  readonly sameSlot: boolean;
  /** The hash key for an entry: prefix + key value (binary-safe). */
  hashKey(name: Buffer | string): Buffer;
}

export function buildKeys(settings: Pick<Settings, 'streamName' | 'deadLetterStream' | 'hashKeyPrefix'>): Keys {
  const prefix = Buffer.from(settings.hashKeyPrefix);
  const sameSlot =
    carriesTagOf(settings.deadLetterStream, settings.streamName) &&
    carriesTagOf(settings.hashKeyPrefix, settings.streamName);
  return Object.freeze({
    stream: settings.streamName,
    deadLetter: settings.deadLetterStream,
    hashPrefix: settings.hashKeyPrefix,
    sameSlot,
    hashKey: (name: Buffer | string) => Buffer.concat([prefix, typeof name === 'string' ? Buffer.from(name) : name]),
  });
}
