/**
 * The invariant of docs/design.md §2, checked on every entry of a backlog against the real server:
 * each entry is still pending, or acked with its hash written (hash equal to its fields), or
 * acked with exactly one dead-letter record (holding its original fields). Entries the test
 * deleted may vanish; entries a live consumer acked itself need no hash; entries not yet
 * delivered to the group are simply still in the stream.
 *
 * Several groups of one stream (`siblings`) share its hashes and its dead-letter stream: each
 * group's check reads only its own dead-letter records, and a hash a sibling may have written
 * (it settled the entry without a record) is no sign that this group wrote without acking. The
 * hash being shared, an ack of this group is then not told apart from the sibling's write.
 *
 * With `requeue` (RECLAIM_ACTION=requeue), a fourth fate: acked with a requeued copy, an entry
 * of the stream carrying `reclaim.origin` = the entry's origin (its own `reclaim.origin`, or its
 * ID) with a greater ID. The copies found in the stream join the checked entries (so a copy's
 * own fate is checked too), and a chain (one origin) has at most one dead-letter record.
 */
import type { Cluster, Redis as Single } from 'ioredis';
import type { Settings } from '../../src/config/settings';
import { readDeadLetters, type DeadLetterRecord } from './dlq';

/** A plain server's client, or a Cluster client on a cluster target. */
type Redis = Single | Cluster;

export type Fields = readonly (string | Buffer)[];

export interface Backlog {
  /** Every entry the test added, by ID, with the fields it was added with. */
  entries: ReadonlyMap<string, Fields>;
  /** IDs the test deleted or trimmed (XDEL / XTRIM): allowed to vanish. */
  deleted?: ReadonlySet<string>;
  /** IDs a live consumer acked itself (its own processing, no hash). */
  consumerAcked?: ReadonlySet<string>;
  /** IDs still allowed pending after a final run (fresh entries of live consumers). */
  live?: ReadonlySet<string>;
  /** Other groups of the same stream, writing the same hashes and dead-letter stream. */
  siblings?: readonly string[];
  /** The run requeues: copies in the stream are entries too (see the header). */
  requeue?: boolean;
}

export type EntryState =
  'pending' | 'hashed' | 'dead-lettered' | 'requeued' | 'consumer-acked' | 'orphan' | 'undelivered';

export interface InvariantReport {
  checked: number;
  states: Record<EntryState, number>;
  /** Human-readable problems; empty when the invariant holds. */
  violations: string[];
}

type Cfg = Pick<Settings, 'streamName' | 'groupName' | 'deadLetterStream' | 'hashKeyPrefix' | 'hashKeyField'>;

const buf = (v: string | Buffer): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

/** The hash a written entry must have: last value wins for a repeated name, as HSET does. */
function expectedHash(fields: Fields): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2)
    m.set(buf(fields[i] as string | Buffer).toString('hex'), buf(fields[i + 1] as string | Buffer));
  return m;
}

function sameHash(actual: Buffer[], expected: Map<string, Buffer>): boolean {
  if (actual.length !== expected.size * 2) return false;
  for (let i = 0; i + 1 < actual.length; i += 2) {
    const want = expected.get((actual[i] as Buffer).toString('hex'));
    if (!want || !want.equals(actual[i + 1] as Buffer)) return false;
  }
  return true;
}

function keyValue(fields: Fields, name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (buf(fields[i] as string | Buffer).equals(Buffer.from(name))) return buf(fields[i + 1] as string | Buffer);
  return undefined;
}

export function hashKeyOf(cfg: Cfg, id: string, fields: Fields): Buffer | undefined {
  const prefix = Buffer.from(cfg.hashKeyPrefix);
  if (cfg.hashKeyField === '') return Buffer.concat([prefix, Buffer.from(id)]);
  const v = keyValue(fields, cfg.hashKeyField);
  return v === undefined ? undefined : Buffer.concat([prefix, v]);
}

/** Compares stream IDs numerically. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm) || BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** The group's last-delivered-id (XINFO GROUPS). */
export async function lastDeliveredId(redis: Redis, cfg: Cfg, group = cfg.groupName): Promise<string> {
  const groups = (await redis.call('XINFO', 'GROUPS', cfg.streamName)) as (string | number)[][];
  const g = groups.find((row) => row[row.indexOf('name') + 1] === group);
  if (!g) throw new Error(`group ${group} not found`);
  return String(g[g.indexOf('last-delivered-id') + 1]);
}

async function readHashes(redis: Redis, keys: Buffer[]): Promise<Buffer[][]> {
  const out: Buffer[][] = [];
  for (let i = 0; i < keys.length; i += 2_000) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(i, i + 2_000)) pipeline.callBuffer('HGETALL', key);
    for (const [error, reply] of (await pipeline.exec()) ?? []) {
      // A key of another type at a hash name (a hostile state tests set up) holds no hash.
      if (error && !error.message.startsWith('WRONGTYPE')) throw error;
      out.push(error ? [] : (reply as Buffer[]));
    }
  }
  return out;
}

/**
 * Checks every entry. With `final`, nothing may be pending except `live` IDs (a final clean
 * run has just completed).
 */
export async function checkInvariant(
  redis: Redis,
  cfg: Cfg,
  backlog: Backlog,
  options: { final?: boolean } = {},
): Promise<InvariantReport> {
  const violations: string[] = [];
  const note = (text: string): void => {
    if (violations.length < 50) violations.push(text);
    else if (violations.length === 50) violations.push('… more violations');
  };
  const states: Record<EntryState, number> = {
    pending: 0,
    hashed: 0,
    'dead-lettered': 0,
    requeued: 0,
    'consumer-acked': 0,
    orphan: 0,
    undelivered: 0,
  };
  const chains = backlog.requeue ? await requeueChains(redis, cfg, backlog.entries) : undefined;
  if (chains) backlog = { ...backlog, entries: chains.entries };

  const pending = await pendingIds(redis, cfg, cfg.groupName);
  const lastDelivered = await lastDeliveredId(redis, cfg);
  const siblings = backlog.siblings ?? [];
  const all = await readDeadLetters(redis, cfg.deadLetterStream);
  const records = all.filter((r) => !siblings.includes(r.meta['dlq.group'] ?? ''));
  const siblingWrote = await siblingSettled(redis, cfg, siblings, all);
  const byId = new Map<string, DeadLetterRecord[]>();
  for (const r of records) byId.set(r.meta['dlq.id'] ?? '', [...(byId.get(r.meta['dlq.id'] ?? '') ?? []), r]);
  const perChain = new Map<string, number>();
  for (const r of records) {
    const origin = originOf(r.original, r.meta['dlq.id'] ?? '');
    perChain.set(origin, (perChain.get(origin) ?? 0) + 1);
  }
  if (chains)
    for (const [origin, n] of perChain)
      if (n > 1) note(`chain ${origin}: ${n} dead-letter records over its copies (must be at most one)`);
  for (const [id, rs] of byId) {
    if (rs.length > 1) note(`${id}: ${rs.length} dead-letter records (must be at most one)`);
    if (!backlog.entries.has(id)) note(`${id}: dead-letter record for an entry not in the backlog`);
  }

  const ids = [...backlog.entries.keys()];
  const keys = ids.map((id) => hashKeyOf(cfg, id, backlog.entries.get(id) as Fields));
  const present = keys.filter((k): k is Buffer => k !== undefined);
  const hashes = await readHashes(redis, present);
  const hashOf = new Map<string, Buffer[]>();
  present.forEach((k, i) => hashOf.set(k.toString('hex'), hashes[i] as Buffer[]));

  ids.forEach((id, i) => {
    const fields = backlog.entries.get(id) as Fields;
    const key = keys[i];
    const hash = key ? (hashOf.get(key.toString('hex')) ?? []) : [];
    // A copy names the same hash as its original: once copied, the hash is the copy's business.
    const copied = chains?.copied(id, fields) === true;
    const hashed = !copied && hash.length > 0 && sameHash(hash, expectedHash(fields));
    if (hash.length > 0 && !hashed && !copied && !chains?.hashedByCopy(key))
      note(`${id}: hash ${String(key)} differs from the entry's fields`);
    const dl = byId.get(id) ?? [];
    const dead = dl.length > 0;
    if (dead && !sameFields(dl[0]?.original ?? [], fields))
      note(`${id}: dead-letter record does not hold the original fields`);
    const deleted = backlog.deleted?.has(id) === true;

    if (pending.has(id)) {
      states.pending++;
      if (dead) note(`${id}: dead-lettered but still pending`);
      if (hashed && !deleted && !siblingWrote(id))
        note(`${id}: hash written but still pending (write and ack must be atomic)`);
      if (options.final && !backlog.live?.has(id)) note(`${id}: still pending after the final run`);
    } else if (hashed && dead && !siblingWrote(id)) {
      note(`${id}: both hashed and dead-lettered`);
    } else if (dead) {
      states['dead-lettered']++;
    } else if (hashed) {
      states.hashed++;
    } else if (copied) {
      states.requeued++;
    } else if (backlog.consumerAcked?.has(id)) {
      states['consumer-acked']++;
    } else if (deleted) {
      states.orphan++;
    } else if (compareIds(id, lastDelivered) > 0) {
      states.undelivered++;
    } else {
      note(`${id}: LOST — acked, but no hash and no dead-letter record`);
    }
  });
  return { checked: ids.length, states, violations };
}

async function pendingIds(redis: Redis, cfg: Cfg, group: string): Promise<Set<string>> {
  const pel = (await redis.call('XPENDING', cfg.streamName, group, '-', '+', 10_000_000)) as [
    string,
    string,
    number,
    number,
  ][];
  return new Set(pel.map(([id]) => id));
}

/** Whether some sibling group may have written an entry's hash: delivered to it, acked, no record of its own. */
async function siblingSettled(
  redis: Redis,
  cfg: Cfg,
  siblings: readonly string[],
  records: readonly DeadLetterRecord[],
): Promise<(id: string) => boolean> {
  const views = await Promise.all(
    siblings.map(async (group) => ({
      pending: await pendingIds(redis, cfg, group),
      last: await lastDeliveredId(redis, cfg, group),
      dead: new Set(records.filter((r) => r.meta['dlq.group'] === group).map((r) => r.meta['dlq.id'])),
    })),
  );
  return (id) => views.some((v) => !v.pending.has(id) && !v.dead.has(id) && compareIds(id, v.last) <= 0);
}

/** The first ID of an entry's requeue chain: its `reclaim.origin`, or its own ID. */
function originOf(fields: Fields, id: string): string {
  return keyValue(fields, 'reclaim.origin')?.toString() ?? id;
}

/**
 * Every copy in the stream joins the entries; `copied` says whether an entry has a later copy,
 * in the stream or among the entries the test knows (a copy the test deleted since, XDEL or XTRIM,
 * still copied its original: the chain then ends with the deletion, as for an original).
 */
async function requeueChains(redis: Redis, cfg: Cfg, entries: ReadonlyMap<string, Fields>) {
  const rows = (await redis.xrangeBuffer(cfg.streamName, '-', '+')) as [Buffer, Buffer[]][];
  const all = new Map<string, Fields>(entries);
  for (const [rawId, fields] of rows) {
    const id = rawId.toString();
    if (!all.has(id) && keyValue(fields, 'reclaim.origin') !== undefined) all.set(id, fields);
  }
  const copiesOf = new Map<string, string[]>();
  for (const [id, fields] of all) {
    const origin = keyValue(fields, 'reclaim.origin');
    if (origin === undefined) continue;
    copiesOf.set(origin.toString(), [...(copiesOf.get(origin.toString()) ?? []), id]);
  }
  const copyKeys = new Set(
    [...all]
      .filter(([id, fields]) => id !== originOf(fields, id))
      .map(([id, fields]) => hashKeyOf(cfg, id, fields)?.toString('hex')),
  );
  return {
    entries: all as ReadonlyMap<string, Fields>,
    copied: (id: string, fields: Fields): boolean =>
      (copiesOf.get(originOf(fields, id)) ?? []).some((c) => compareIds(c, id) > 0),
    /** A copy (its fields, not the original's, may be in the hash) names this hash. */
    hashedByCopy: (key: Buffer | undefined): boolean => key !== undefined && copyKeys.has(key.toString('hex')),
  };
}

function sameFields(a: readonly Buffer[], b: Fields): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(buf(b[i] as string | Buffer)));
}
