/**
 * Consumer clean-up (`DEREGISTER_IDLE_SEC`): delete consumers idle longer than the threshold
 * that have no pending entries. XGROUP DELCONSUMER drops a consumer's pending entries, so each
 * delete is a Lua script that re-checks "nothing pending, still idle" atomically; the list read
 * here only picks candidates. The reclaimer's own consumer is never deleted.
 */
import { deleteIdleConsumer } from '../redis/delete-idle-consumer';
import type { RedisClient } from '../redis/scripts';
import type { Settings } from '../config/settings';

export type DeregisterSettings = Pick<
  Settings,
  'streamName' | 'groupName' | 'consumerName' | 'deregisterIdleMs' | 'dryRun'
>;

export interface ConsumerState {
  /** Binary-safe name, as the server holds it. */
  name: Buffer;
  pending: number;
  /** ms since its last attempted interaction: a consumer that polls and gets nothing is alive. */
  idleMs: number;
}

/** The group's consumers (XINFO CONSUMERS), names as buffers. */
export async function listConsumers(client: RedisClient, stream: string, group: string): Promise<ConsumerState[]> {
  const rows = (await client.callBuffer('XINFO', 'CONSUMERS', stream, group)) as (Buffer | number)[][];
  return rows.map((row) => {
    const state: ConsumerState = { name: Buffer.alloc(0), pending: 0, idleMs: 0 };
    for (let i = 0; i + 1 < row.length; i += 2) {
      const key = String(row[i]);
      const value = row[i + 1] as Buffer | number;
      if (key === 'name') state.name = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
      else if (key === 'pending') state.pending = Number(value);
      else if (key === 'idle') state.idleMs = Number(value);
    }
    return state;
  });
}

/** True when a consumer may be deleted as seen now (the script checks again at delete time). */
export function isDeregisterCandidate(c: ConsumerState, ownName: string, thresholdMs: number): boolean {
  return c.pending === 0 && c.idleMs > thresholdMs && !c.name.equals(Buffer.from(ownName));
}

/**
 * Deletes idle consumers with nothing pending; returns how many were deleted (in a dry run, how
 * many would be). Returns 0 when `deregisterIdleMs` is not set. Errors are Redis errors, unmapped.
 */
export async function deregisterIdleConsumers(client: RedisClient, settings: DeregisterSettings): Promise<number> {
  const threshold = settings.deregisterIdleMs;
  if (threshold === undefined) return 0;
  const candidates = (await listConsumers(client, settings.streamName, settings.groupName)).filter((c) =>
    isDeregisterCandidate(c, settings.consumerName, threshold),
  );
  if (settings.dryRun) return candidates.length;
  let deleted = 0;
  for (const c of candidates) {
    const gone = await deleteIdleConsumer(client, settings.streamName, {
      group: settings.groupName,
      consumer: c.name,
      idleMs: threshold,
      protect: settings.consumerName,
    });
    if (gone) deleted++;
  }
  return deleted;
}
