/**
 * The fast path's script (src/redis/scripts/reclaim-page.lua), typed: its arguments from named
 * options, its reply as a plain object.
 */
import { KeySlotError } from '../errors';
import { carriesTagOf } from './keys';
import type { ReclaimAction } from '../config/settings';
import { callScript, type RedisClient } from './scripts';
import type { DeadLetterReason } from './dead-letter';

export interface ReclaimPageReply {
  scanned: number;
  claimed: number;
  processed: number;
  deadLettered: number;
  orphaned: number;
  /** Last ID of the scanned page; undefined when the PEL is covered. */
  last: string | undefined;
  /** Left pending: a write failed after the script's first write (not expected). */
  failed: number;
  /** To dead-letter or requeue, too long for one call from Lua: left pending for src/redis/wide.ts. */
  wide: WideEntry[];
  /** Idle entries not yet due under backoff: left untouched. */
  deferred: number;
  /** Entries whose copy was appended to the stream, and acknowledged. */
  requeued: number;
}

/** An entry the page script left pending for the client to dead-letter or requeue, as the scan saw it. */
export interface WideEntry {
  id: string;
  consumer: string;
  deliveries: number;
  idleMs: number;
  reason: DeadLetterReason | 'requeue';
  error: string;
  /** Deliveries that count: its own plus its `reclaim.deliveries`. */
  total: number;
}

/** The hash writer's fast path: one atomic script scans and settles a page (see its header). */
export async function reclaimPage(
  client: RedisClient,
  keys: { stream: string; deadLetter: string },
  args: {
    group: string;
    minIdleMs: number;
    maxDeliveries: number;
    hashPrefix: string;
    keyField: string;
    at: number;
    checkSlot: boolean;
    start: string;
    count: number;
    serverIdleFilter: boolean;
    /** Backoff ceiling in ms; undefined (the default) = off. */
    backoffMaxMs?: number | undefined;
    /** Default `process`. */
    action?: ReclaimAction;
  },
): Promise<ReclaimPageReply> {
  // Hash keys are derived inside the script, out of the cluster's sight: on a cluster they must
  // carry the stream's tag, or a write lands in another slot after the script's first write.
  if (args.checkSlot && !carriesTagOf(args.hashPrefix, keys.stream)) {
    throw new KeySlotError(
      `Hash key prefix \`${args.hashPrefix}\` does not carry the hash tag of stream \`${keys.stream}\`: the fast path needs every key in one cluster slot`,
    );
  }
  const argv: (string | number)[] = [
    args.group,
    args.minIdleMs,
    args.maxDeliveries,
    args.hashPrefix,
    args.keyField,
    args.at,
  ];
  argv.push(
    args.start,
    args.count,
    args.serverIdleFilter ? 'idle' : 'filter',
    args.backoffMaxMs ?? '',
    args.action ?? 'process',
  );
  // Counts are text from 2^53 on (reclaim-page.lua): the client reads them exactly (src/redis/wide.ts).
  type Row = [Buffer, Buffer, number | Buffer, number, Buffer, Buffer, number | Buffer];
  type Reply = [number, number, number, number, number, Buffer, number, Row[], number, number];
  const reply = (await callScript(client, 'reclaimPage', [keys.stream, keys.deadLetter], argv)) as Reply;
  const [scanned, claimed, processed, deadLettered, orphaned, last, failed, rows, deferred, requeued] = reply;
  const count = (n: number | Buffer): number => (typeof n === 'number' ? n : Number(n.toString()));
  const wide = rows.map(([id, consumer, deliveries, idleMs, reason, error, total]) => ({
    id: id.toString(),
    consumer: consumer.toString(),
    deliveries: count(deliveries),
    idleMs,
    reason: reason.toString() as WideEntry['reason'],
    error: error.toString(),
    total: count(total),
  }));
  return {
    scanned,
    claimed,
    processed,
    deadLettered,
    orphaned,
    last: last.length > 0 ? last.toString() : undefined,
    failed,
    wide,
    deferred,
    requeued,
  };
}
