/**
 * A faithful baseline of the reference design this product replaces: the whole pending list in
 * one XPENDING, one XCLAIM of every idle ID, then one task per message doing HSET then XACK.
 * No paging, no fence, no dead-letter path; its memory grows with the backlog.
 */
import type Redis from 'ioredis';

export async function baselineRun(
  redis: Redis,
  a: { stream: string; group: string; consumer: string; minIdleMs: number; prefix: string },
): Promise<number> {
  const pending = (await redis.call('XPENDING', a.stream, a.group, '-', '+', 10_000_000)) as [
    string,
    string,
    number,
    number,
  ][];
  const ids = pending.filter(([, , idle]) => idle >= a.minIdleMs).map(([id]) => id);
  if (ids.length === 0) return 0;
  const entries = (await redis.xclaim(a.stream, a.group, a.consumer, a.minIdleMs, ...ids)) as [string, string[]][];
  await Promise.all(
    entries.map(async ([id, fields]) => {
      await redis.hset(`${a.prefix}${id}`, ...fields);
      await redis.xack(a.stream, a.group, id);
    }),
  );
  return entries.length;
}
