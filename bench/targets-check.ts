/**
 * The multi-target section's seeding, verification and CPU readings, for a single server or a
 * cluster alike (commands on one stream go through either client; key counts and CPU are read
 * from each server directly).
 */
import type { Cluster, Redis } from 'ioredis';
import seedLua from './seed-backlog.lua';

export type AnyClient = Redis | Cluster;

/** How many entries per seeding script: one script holds the server this long, not the whole seed. */
const SEED_CHUNK = 10_000;
/** Entries checked at each end of a stream: the run takes the PEL oldest first, so both states show. */
const SAMPLE_EACH_END = 10;

/** `size` idle pending entries (no poison, none deleted) on `stream`, its group created first. */
export async function seedStream(client: AnyClient, stream: string, group: string, size: number): Promise<void> {
  await client.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  for (let first = 0; first < size; first += SEED_CHUNK) {
    await client.eval(seedLua, 1, stream, group, Math.min(SEED_CHUNK, size - first), first, 0, 0, 5, 600_000);
  }
}

/** CPU seconds (user + sys) the servers have spent so far, summed. */
export async function serverCpuSeconds(servers: readonly Redis[]): Promise<number> {
  const infos = await Promise.all(servers.map((s) => s.info('cpu')));
  const field = (info: string, name: string): number =>
    Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return infos.reduce((sum, info) => sum + field(info, 'used_cpu_user') + field(info, 'used_cpu_sys'), 0);
}

/** Keys held by all the servers together. */
export async function keyCount(servers: readonly Redis[]): Promise<number> {
  return (await Promise.all(servers.map((s) => s.dbsize()))).reduce((a, b) => a + b, 0);
}

/**
 * A stream's PEL holds exactly `pending` entries, and each sampled entry (oldest and newest) is
 * in exactly one state: still pending with no hash, or acked with a hash equal to its fields.
 */
export async function verifyStream(
  client: AnyClient,
  stream: string,
  group: string,
  pending: number,
  label: string,
): Promise<void> {
  const [count] = (await client.call('XPENDING', stream, group)) as [number];
  if (count !== pending) throw new Error(`${label}: ${stream} has ${count} pending entries, expected ${pending}`);
  const sample = [
    ...(await client.xrange(stream, '-', '+', 'COUNT', SAMPLE_EACH_END)),
    ...(await client.xrevrange(stream, '+', '-', 'COUNT', SAMPLE_EACH_END)),
  ];
  for (const [id, fields] of sample) {
    const stillPending = ((await client.call('XPENDING', stream, group, id, id, 1)) as unknown[]).length === 1;
    const hash = await client.hgetall(`${stream}:${id}`);
    const names = fields.filter((_, i) => i % 2 === 0);
    const written =
      Object.keys(hash).length === names.length && names.every((name, i) => hash[name] === fields[2 * i + 1]);
    if (stillPending ? Object.keys(hash).length > 0 : !written) {
      throw new Error(
        `${label}: entry ${id} of ${stream} is ${stillPending ? 'pending but has a hash' : 'acked but its hash is missing or differs from its fields'}`,
      );
    }
  }
}

/** Every key beyond the streams is one entry's hash: their number must be what the runs processed. */
export async function verifyHashCount(
  servers: readonly Redis[],
  streams: number,
  processed: number,
  label: string,
): Promise<void> {
  const hashes = (await keyCount(servers)) - streams;
  if (hashes !== processed)
    throw new Error(`${label}: ${hashes} hashes on the server(s), expected ${processed} (one per processed entry)`);
}

export const median = <T>(runs: readonly T[], by: (r: T) => number): T =>
  [...runs].sort((a, b) => by(a) - by(b))[Math.floor(runs.length / 2)] as T;

export const settle = async (): Promise<void> => {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 300));
};
