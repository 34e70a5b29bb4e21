/**
 * The group-health read shared by `stats` (src/ops/stats.ts), the health gauges
 * (src/telemetry/metrics.ts) and GET /api/status (through stats), with the one parser of Redis's
 * flat name/value replies. Cost is bounded on huge groups: XINFO GROUPS, the XPENDING summary, a
 * one-entry XPENDING range for the oldest entry's idle time (no IDLE option: Redis 6.0 works),
 * XLEN. Nothing scans the PEL or a stream.
 */
import type { RedisClient } from './client';

/** A RESP2 reply of nested arrays. */
export type Flat = (string | number | null | Flat)[];

/** RESP2 map (flat name/value list) to a lookup; names sit at even positions only. */
export function flatMap(row: Flat): Map<string, Flat[number]> {
  const map = new Map<string, Flat[number]>();
  for (let i = 0; i + 1 < row.length; i += 2) map.set(String(row[i]), row[i + 1] as Flat[number]);
  return map;
}

/** A number field of a flat map; null when absent or nil. */
export const flatNumber = (v: Flat[number] | undefined): number | null =>
  typeof v === 'number' ? v : v === null || v === undefined ? null : Number(v);

/** Every group of a stream, as XINFO GROUPS rows. Fails on a missing stream (`no such key`) or another type. */
export async function groupRows(client: RedisClient, stream: string): Promise<Map<string, Flat[number]>[]> {
  return ((await client.call('XINFO', 'GROUPS', stream)) as Flat[]).map(flatMap);
}

/** The names of a stream's groups (fails like groupRows). */
export const groupNames = async (client: RedisClient, stream: string): Promise<string[]> =>
  (await groupRows(client, stream)).map((g) => String(g.get('name')));

/** The group's XINFO GROUPS row; undefined when the stream has no such group. */
export async function groupInfo(
  client: RedisClient,
  stream: string,
  group: string,
): Promise<Map<string, Flat[number]> | undefined> {
  return (await groupRows(client, stream)).find((g) => String(g.get('name')) === group);
}

export interface OldestPending {
  /** Size of the PEL, from the XPENDING summary. */
  pending: number;
  /** ID of the oldest pending entry (lowest ID); null when nothing is pending. */
  id: string | null;
  /** Its idle time; null when nothing is pending, or it was acked between the two reads. */
  idleMs: number | null;
}

export async function oldestPending(client: RedisClient, stream: string, group: string): Promise<OldestPending> {
  const summary = (await client.call('XPENDING', stream, group)) as [number, string | null, ...unknown[]];
  const id = summary[1] ?? null;
  const oldest = id
    ? ((await client.call('XPENDING', stream, group, id, id, 1)) as [string, string, number, number][])[0]
    : undefined;
  return { pending: Number(summary[0]), id, idleMs: oldest ? Number(oldest[2]) : null };
}

export interface Health {
  /** Size of the group's PEL. */
  pending: number;
  /** Idle time of the oldest pending entry in ms; 0 when nothing is pending. */
  oldestIdleMs: number;
  /** Records in the dead-letter stream. */
  deadLetters: number;
  /** Consumers of the group (the reclaimer's own included). */
  consumers: number;
}

/** The four figures behind the health gauges, read together. */
export async function readHealth(
  client: RedisClient,
  keys: { streamName: string; groupName: string; deadLetterStream: string },
): Promise<Health> {
  const [group, oldest, deadLetters] = await Promise.all([
    groupInfo(client, keys.streamName, keys.groupName),
    oldestPending(client, keys.streamName, keys.groupName),
    client.xlen(keys.deadLetterStream),
  ]);
  const field = (name: string): number => Number(group?.get(name) ?? 0) || 0;
  return { pending: field('pending'), oldestIdleMs: oldest.idleMs ?? 0, deadLetters, consumers: field('consumers') };
}
