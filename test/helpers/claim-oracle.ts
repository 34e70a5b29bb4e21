/**
 * The oracle for test/integration/claim-window.test.ts: a state of one stream and group built
 * from a list of roles (IDs crossing digit boundaries, so text order is not ID order), copied
 * with DUMP/RESTORE (the group, its PEL and delivery times kept), then claimed by
 * claim-entries.lua on the original and by the per-ID script it replaced
 * (test/lua/claim-entries-per-id.lua) on the copy: replies and PELs must be the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { resolveIncludes } from '../../src/redis/lua-include';
import { LUA_LIBS, scriptText } from '../../src/redis/scripts';
import { pendingOf, setPending, uniqueName } from './backlog';
import type { TestClient } from './server-under-test';

const ORACLE = resolveIncludes(
  readFileSync(join(__dirname, '..', 'lua', 'claim-entries-per-id.lua'), 'utf8'),
  LUA_LIBS,
  'claim-entries-per-id',
);
export const IDLE_MS = 600_000;
export const MIN_IDLE_MS = 60_000;
export const GROUP = 'g';

/**
 * What each entry of the built stream is, in ID order:
 * idle     pending for `crashed`, idle IDLE_MS (deliveries: `count`)
 * fresh    pending for `crashed`, just delivered (not idle)
 * foreign  pending for `live`, just delivered
 * acked    delivered and acknowledged
 * deleted  pending for `crashed`, idle, then XDEL'd (after the scan, before the claim)
 */
export type Role = 'idle' | 'fresh' | 'foreign' | 'acked' | 'deleted';
export interface Spec {
  role: Role;
  count?: number;
  fields?: string[];
}

/** IDs whose ms and seq both cross a digit boundary (9 → 10), so text order is not ID order. */
const idAt = (i: number): string => `${1 + Math.floor(i / 12)}-${i % 12}`;

export async function buildState(
  redis: TestClient,
  cluster: boolean,
  specs: readonly Spec[],
): Promise<{ stream: string; ids: string[] }> {
  const stream = cluster ? `{${uniqueName('window')}}` : uniqueName('window');
  const ids = specs.map((_, i) => idAt(i));
  for (let i = 0; i < specs.length; i += 500) {
    const pipeline = redis.pipeline();
    specs
      .slice(i, i + 500)
      .forEach((s, j) => pipeline.xadd(stream, ids[i + j] as string, ...(s.fields ?? ['n', String(i + j)])));
    await pipeline.exec();
  }
  await redis.xgroup('CREATE', stream, GROUP, '0');
  await redis.xreadgroup('GROUP', GROUP, 'crashed', 'COUNT', specs.length, 'STREAMS', stream, '>');
  const having = (...roles: Role[]): string[] => ids.filter((_, i) => roles.includes((specs[i] as Spec).role));
  for (const count of new Set(specs.map((s) => s.count ?? 1))) {
    const idle = ids.filter(
      (_, i) => ['idle', 'deleted'].includes((specs[i] as Spec).role) && (specs[i]?.count ?? 1) === count,
    );
    if (idle.length > 0) await setPending(redis, stream, GROUP, 'crashed', idle, IDLE_MS, count);
  }
  const foreign = having('foreign');
  if (foreign.length > 0) await setPending(redis, stream, GROUP, 'live', foreign, 0);
  const acked = having('acked');
  if (acked.length > 0) await redis.xack(stream, GROUP, ...acked);
  const deleted = having('deleted');
  if (deleted.length > 0) await redis.xdel(stream, ...deleted);
  return { stream, ids };
}

export interface Options {
  minIdleMs?: number;
  maxDeliveries?: number;
  backoffMaxMs?: number;
  claim?: boolean;
}

/** Idle times in a reply or PEL differ by the milliseconds between the two runs: bucketed. */
const bucket = (idle: number): string => (idle >= IDLE_MS ? 'idle' : idle < MIN_IDLE_MS ? 'fresh' : `odd ${idle}`);
export type Reply = [
  [Buffer, number, Buffer[]][],
  Buffer[],
  Buffer[],
  Buffer[],
  [Buffer, Buffer, number, number, number][],
];
const normal = (r: Reply): unknown => [
  r[0].map(([id, n, fields]) => [id.toString(), n, fields.map(String)]),
  ...[r[1], r[2], r[3]].map((ids) => ids.map(String)),
  r[4].map(([id, owner, n, idle, total]) => [id.toString(), owner.toString(), n, bucket(idle), total]),
];
const pel = async (redis: TestClient, stream: string): Promise<unknown> =>
  (await pendingOf(redis, stream, GROUP)).map(([id, owner, idle, n]) => [id, owner, bucket(idle), n]);

/** The script and the oracle on copies of one state: the script's reply, once both agree. */
export async function claimBothOn(
  redis: TestClient,
  stream: string,
  listed: readonly string[],
  o: Options = {},
): Promise<Reply> {
  const copy = `${stream}:oracle`;
  await redis.restore(copy, 0, await redis.dumpBuffer(stream));
  const argv = [
    GROUP,
    'reclaimer',
    o.minIdleMs ?? MIN_IDLE_MS,
    o.maxDeliveries ?? 5,
    o.backoffMaxMs ?? '',
    o.claim === false ? 'none' : 'claim',
    ...listed,
  ];
  const reply = (await redis.callBuffer('EVAL', scriptText('claimEntries'), 1, stream, ...argv)) as Reply;
  const oracle = (await redis.callBuffer('EVAL', ORACLE, 1, copy, ...argv)) as Reply;
  expect(normal(reply)).toEqual(normal(oracle));
  expect(await pel(redis, stream)).toEqual(await pel(redis, copy));
  expect(await redis.xlen(stream)).toBe(await redis.xlen(copy));
  return reply;
}

export const ids = (list: readonly Buffer[]): string[] => list.map(String);
export const claimedIds = (r: Reply): string[] => r[0].map(([id]) => id.toString());
