/**
 * `dlq purge`: delete dead-letter records added before a cutoff, in pages (XRANGE + XDEL), so a
 * huge dead-letter stream never blocks the server in one command. XTRIM MINID would be one
 * command but needs Redis 6.2, and Azure's 6.0 tiers lack it.
 */
import type { RedisClient } from '../redis/scripts';
import { lastId, matches, readRecords, type RecordFilter } from './dlq';
import { nextId } from '../reclaim/scan';

const PAGE = 1_000;

export interface PurgePlan {
  /** Records with an ID up to this one (inclusive) are deleted; undefined when there is nothing to delete. */
  readonly endId: string | undefined;
  /** Epoch ms (server clock) of the cutoff; records added before it are deleted. */
  readonly cutoffMs: number;
}

/** Server time in epoch ms: record IDs carry the server's clock, not ours. */
export async function serverNowMs(client: RedisClient): Promise<number> {
  const [seconds, micros] = (await client.call('TIME')) as [string, string];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/**
 * Which records a purge deletes: those added more than `olderThanMs` ago, or, without it, every
 * record that exists now (records added while the purge runs are kept).
 */
export async function planPurge(client: RedisClient, dlq: string, olderThanMs: number | undefined): Promise<PurgePlan> {
  const now = await serverNowMs(client);
  const cutoffMs = olderThanMs === undefined ? now : now - olderThanMs;
  if (olderThanMs === undefined) return { endId: await lastId(client, dlq), cutoffMs };
  // An ID's time part is its ms; `<ms>` as an XRANGE end means `<ms>-<max seq>`.
  return { endId: cutoffMs >= 1 ? String(cutoffMs - 1) : undefined, cutoffMs };
}

/** What a purge deletes besides the cutoff: records of one reason or group, at most `count`. */
export interface PurgeFilter extends RecordFilter {
  count?: number;
}
const filtered = (f: PurgeFilter): boolean => f.reason !== undefined || f.groups !== undefined || f.count !== undefined;

/** Counts what a purge would delete, without deleting (pages through IDs up to the end). */
export async function countPurge(
  client: RedisClient,
  dlq: string,
  plan: PurgePlan,
  filter: PurgeFilter = {},
): Promise<number> {
  if (plan.endId === undefined) return 0;
  if (filtered(filter)) return (await matchingIds(client, dlq, plan, filter)).length;
  let count = 0;
  let start = '-';
  for (;;) {
    const page = (await client.xrange(dlq, start, plan.endId, 'COUNT', PAGE)) as [string, string[]][];
    count += page.length;
    const last = page[page.length - 1];
    if (page.length < PAGE || last === undefined) return count;
    start = nextId(last[0]);
  }
}

/** Deletes the planned records, page by page; returns how many were deleted. */
export async function purge(
  client: RedisClient,
  dlq: string,
  plan: PurgePlan,
  onProgress?: (deleted: number) => void,
  filter: PurgeFilter = {},
): Promise<number> {
  if (plan.endId === undefined) return 0;
  let deleted = 0;
  if (filtered(filter)) {
    const ids = await matchingIds(client, dlq, plan, filter);
    for (let i = 0; i < ids.length; i += PAGE) {
      deleted += Number(await client.xdel(dlq, ...ids.slice(i, i + PAGE)));
      onProgress?.(deleted);
    }
    return deleted;
  }
  for (;;) {
    // Deleted entries are gone, so every page starts again at the beginning.
    const page = (await client.xrange(dlq, '-', plan.endId, 'COUNT', PAGE)) as [string, string[]][];
    if (page.length === 0) return deleted;
    deleted += Number(await client.xdel(dlq, ...page.map(([id]) => id)));
    onProgress?.(deleted);
    if (page.length < PAGE) return deleted;
  }
}

/** IDs of the records a filtered purge deletes, oldest first; entries that are not records never match. */
async function matchingIds(client: RedisClient, dlq: string, plan: PurgePlan, filter: PurgeFilter): Promise<string[]> {
  const ids: string[] = [];
  if (plan.endId === undefined) return ids;
  for await (const { id, record } of readRecords(client, dlq, { end: plan.endId })) {
    if (filter.count !== undefined && ids.length >= filter.count) break;
    if (matches(record, filter)) ids.push(id);
  }
  return ids;
}
