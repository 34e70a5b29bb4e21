/**
 * Processing: a small interface a library user can implement, and the default hash writer.
 * A processor returns the hash write to commit atomically with the ack, or nothing (ack only).
 * Throwing leaves the entry pending (counted `failed`, retried by a later run); throwing
 * UnprocessableEntryError dead-letters it with reason `processing-error`.
 */
import type { Keys } from '../redis/keys';

export interface Entry {
  readonly id: string;
  /** Field names and values, alternating, in order, binary-safe (duplicates kept). */
  readonly fields: readonly Buffer[];
  /** Delivery count after this run's claim. */
  readonly deliveries: number;
}

/** Where a claimed entry comes from: a processor shared by several targets tells them apart by it. */
export interface EntrySource {
  readonly stream: string;
  readonly group: string;
}

export interface HashWrite {
  readonly key: Buffer;
  readonly fields: readonly Buffer[];
}

export interface Processor {
  /** Handle one claimed entry of `source`'s stream and group. Called at most CONCURRENCY times at once. */
  process(entry: Entry, source: EntrySource): Promise<HashWrite | void>;
}

/** The value of the first field named `name`, if any. */
export function fieldValue(fields: readonly Buffer[], name: Buffer): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if ((fields[i] as Buffer).equals(name)) return fields[i + 1];
  }
  return undefined;
}

/** Which key names an entry's hash: the key field's value, or the entry ID when none is set. */
export function hashKeyFor(keys: Keys, keyField: string, entry: Pick<Entry, 'id' | 'fields'>): Buffer | undefined {
  if (keyField === '') return keys.hashKey(entry.id);
  const value = fieldValue(entry.fields, Buffer.from(keyField));
  return value === undefined ? undefined : keys.hashKey(value);
}

/** Marks the built-in processor, so the run may use its batched server-side path. */
export const HASH_WRITER = Symbol('stream-reclaimer.hash-writer');

export interface HashWriter extends Processor {
  readonly [HASH_WRITER]: true;
}

/** The default processor: `HSET <prefix><key> <fields…>`, written atomically with the ack. */
export function createHashWriter(keys: Keys, keyField: string): HashWriter {
  return {
    [HASH_WRITER]: true,
    async process(entry) {
      // The run dead-letters entries without the key field before calling processors.
      const key = hashKeyFor(keys, keyField, entry) as Buffer;
      return { key, fields: entry.fields };
    },
  };
}
