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
  const streamTag = hashTag(settings.streamName);
  const prefix = Buffer.from(settings.hashKeyPrefix);
  const sameSlot =
    streamTag !== undefined &&
    hashTag(settings.deadLetterStream) === streamTag &&
    hashTag(settings.hashKeyPrefix) === streamTag;
  return Object.freeze({
    stream: settings.streamName,
    deadLetter: settings.deadLetterStream,
    hashPrefix: settings.hashKeyPrefix,
    sameSlot,
    hashKey: (name: Buffer | string) => Buffer.concat([prefix, typeof name === 'string' ? Buffer.from(name) : name]),
  });
}
