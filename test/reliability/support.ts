/**
 * Shared bits of the reliability suite: a seeded random generator, the built CLI as a child
 * process, and a collector of every output, error and log line (scanned for secrets).
 */
import type Redis from 'ioredis';
import type { Settings } from '../../src/config/settings';
import type { Logger, LogFields } from '../../src/telemetry/logger';
import { addEntries, createGroup, pendingOf, readAsConsumer, setPending } from '../helpers/backlog';
import type { Fields } from '../helpers/invariant';

/** The password every reliability server requires; must never show up in any output. */
export const PASSWORD = 'Rel1ability-S3cret-pw';

/** mulberry32: small, seedable, good enough to pick kill moments. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The seed from `SEED`, or a fresh one; printed so a failure can be replayed. */
export function seedFromEnv(label: string): number {
  const seed = process.env.SEED ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`[${label}] SEED=${seed}`);
  return seed;
}

/** Every text a test saw: CLI stdout/stderr, error messages, log lines. */
export class OutputLog {
  readonly texts: string[] = [];
  add(label: string, text: string): void {
    this.texts.push(`${label}: ${text}`);
  }
  error(label: string, error: unknown): void {
    this.add(label, error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error));
  }
  logger(label: string): Logger {
    const line =
      (level: string) =>
      (message: string, fields: LogFields = {}) =>
        this.add(label, `${level} ${message} ${JSON.stringify(fields)}`);
    return { info: line('info'), warn: line('warn'), error: line('error') };
  }
  /** Lines containing the secret (should be none). */
  leaks(secret: string): string[] {
    return this.texts.filter((t) => t.includes(secret));
  }
}

export { runCli, spawnCli, type CliProcess, type CliResult } from '../helpers/cli';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every 50th entry lacks the key field `k` (poison); keys are unique, so each hash is one entry's. */
export const keyedFields = (i: number): string[] =>
  i % 50 === 7 ? ['seq', String(i), 'text', `no key ${i}`] : ['k', `k${i}`, 'seq', String(i), 'text', `hello ${i}`];

export interface SeededBacklog {
  ids: string[];
  entries: Map<string, Fields>;
  deleted: Set<string>;
}

/**
 * A crashed consumer's idle backlog (needs HASH_KEY_FIELD=k): every 40th entry over
 * MAX_DELIVERIES, every 50th missing the key field, every 100th deleted from the stream.
 */
export async function seedBacklog(redis: Redis, s: Settings, n: number, offset = 0): Promise<SeededBacklog> {
  const all = Array.from({ length: n }, (_, i) => keyedFields(i + offset));
  const ids = await addEntries(redis, s.streamName, all);
  const entries = new Map<string, Fields>(ids.map((id, i) => [id, all[i] as string[]]));
  if (offset === 0) await createGroup(redis, s.streamName, s.groupName);
  await readAsConsumer(redis, s.streamName, s.groupName, 'crashed', n, { idleMs: IDLE_MS });
  await setPending(
    redis,
    s.streamName,
    s.groupName,
    'crashed',
    ids.filter((_, i) => i % 40 === 3),
    IDLE_MS,
    s.maxDeliveries,
  );
  const deleted = new Set(ids.filter((_, i) => i % 100 === 11));
  if (deleted.size > 0) await redis.xdel(s.streamName, ...deleted);
  return { ids, entries, deleted };
}

/**
 * seedBacklog for several groups of one stream (a run over several targets): each group's crashed
 * consumer holds every entry, the same ones over `maxDeliveries`; entries carry `src` (their
 * stream), so a processor shared by every target can tell them apart; the deleted ones are
 * deleted after every group has read them.
 */
export async function seedGroups(
  redis: Redis,
  stream: string,
  groups: readonly string[],
  n: number,
  maxDeliveries: number,
  offset = 0,
): Promise<SeededBacklog> {
  const all = Array.from({ length: n }, (_, i) => [...keyedFields(i + offset), 'src', stream]);
  const ids = await addEntries(redis, stream, all);
  const entries = new Map<string, Fields>(ids.map((id, i) => [id, all[i] as string[]]));
  for (const group of groups) {
    if (offset === 0) await createGroup(redis, stream, group);
    await readAsConsumer(redis, stream, group, 'crashed', n, { idleMs: IDLE_MS });
    await setPending(
      redis,
      stream,
      group,
      'crashed',
      ids.filter((_, i) => i % 40 === 3),
      IDLE_MS,
      maxDeliveries,
    );
  }
  const deleted = new Set(ids.filter((_, i) => i % 100 === 11));
  if (deleted.size > 0) await redis.xdel(stream, ...deleted);
  return { ids, entries, deleted };
}

/** An idle time far above any MIN_IDLE_TIME_SEC used here: backdating replaces waiting. */
export const IDLE_MS = 600_000;

/** Makes the reclaimer's own pending entries (claims of a killed or failed run) idle again. */
export async function backdateReclaimer(redis: Redis, s: Settings): Promise<number> {
  const mine = (await pendingOf(redis, s.streamName, s.groupName))
    .filter(([, owner]) => owner === s.consumerName)
    .map(([id]) => id);
  await setPending(redis, s.streamName, s.groupName, s.consumerName, mine, IDLE_MS);
  return mine.length;
}
