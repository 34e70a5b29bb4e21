/**
 * The PEL scan: pages of pending entries idle at least the threshold, never the whole PEL in
 * one reply. The strategy is chosen from the server version:
 * - `redis6.2` / `redis7`: `XPENDING … IDLE ms (lastId + COUNT n`, filtered by the server.
 * - `redis6.0`: no IDLE and no exclusive ranges: page with the extended form from the ID after
 *   the last one seen, and filter idle here.
 */
import type { RedisClient } from '../redis/scripts';
import type { StrategyName } from '../config/settings';
import type { ServerFlavor } from '../redis/connection';

export interface PendingEntry {
  readonly id: string;
  /** Owner at scan time. */
  readonly consumer: string;
  readonly idleMs: number;
  /** Delivery count at scan time. */
  readonly deliveries: number;
}

export interface ScanPage {
  entries: PendingEntry[];
  /** Where the next page starts; undefined at the end of the PEL. */
  cursor: string | undefined;
  /** The last pending ID the page covered (idle or not); undefined for an empty page. */
  last?: string;
}

/** The scan cursor that starts right after `id` (6.0 has no exclusive ranges: the next ID, inclusive). */
export function cursorAfter(strategy: ScanStrategy, id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  return strategy === 'redis6.0' ? nextId(id) : id;
}

export type ScanStrategy = 'redis6.0' | 'redis6.2' | 'redis7';

export function chooseStrategy(requested: StrategyName, server: ServerFlavor): ScanStrategy {
  if (requested !== 'auto') return requested;
  const [major, minor] = server.version;
  if (server.name === 'valkey' || major >= 7) return 'redis7';
  if (major === 6 && minor >= 2) return 'redis6.2';
  return 'redis6.0';
}

/** The smallest stream ID greater than `id`. */
export function nextId(id: string): string {
  const [ms = '0', seq = '0'] = id.split('-');
  const s = BigInt(seq);
  return s === 0xffff_ffff_ffff_ffffn ? `${BigInt(ms) + 1n}-0` : `${ms}-${s + 1n}`;
}

/** Orders two stream IDs (`ms-seq`) numerically: negative, zero or positive. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  const diff = ms !== 0n ? ms : BigInt(as) - BigInt(bs);
  return diff > 0n ? 1 : diff < 0n ? -1 : 0;
}

type Row = [string, string, number, number];
const toEntry = ([id, consumer, idleMs, deliveries]: Row): PendingEntry => ({ id, consumer, idleMs, deliveries });

export async function scanPage(
  client: RedisClient,
  strategy: ScanStrategy,
  args: { stream: string; group: string; minIdleMs: number; count: number; cursor: string | undefined },
): Promise<ScanPage> {
  const { stream, group, minIdleMs, count, cursor } = args;
  if (strategy === 'redis6.0') {
    const rows = (await client.call('XPENDING', stream, group, cursor ?? '-', '+', count)) as Row[];
    const last = rows.at(-1);
    return {
      entries: rows.map(toEntry).filter((e) => e.idleMs >= minIdleMs),
      cursor: rows.length < count || !last ? undefined : nextId(last[0]),
      last: last?.[0],
    };
  }
  const start = cursor === undefined ? '-' : `(${cursor}`;
  const rows = (await client.call('XPENDING', stream, group, 'IDLE', minIdleMs, start, '+', count)) as Row[];
  const last = rows.at(-1);
  return { entries: rows.map(toEntry), cursor: rows.length < count || !last ? undefined : last[0], last: last?.[0] };
}
