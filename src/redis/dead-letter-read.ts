/** The typed wrapper of `scripts/dead-letter-read.lua`: the script's reply as plain objects. */
import { callScript, type Arg, type RedisClient } from './scripts';
import { READ_OK, READ_STATUS } from './script-status';
import type { DeadLetterRequest } from './dead-letter';

/** Per request: the entry's fields when its fence holds, else orphaned (acked) or skipped. */
export type DeadLetterRead = { fields: Buffer[] } | 'orphaned' | 'skipped';

/** Fenced read for the at-least-once dead-letter path (stream only; see the script's header). */
export async function readForDeadLetter(
  client: RedisClient,
  stream: string,
  args: {
    group: string;
    requests: readonly Pick<DeadLetterRequest, 'id' | 'expectOwner' | 'expectDeliveries' | 'minIdleMs'>[];
  },
): Promise<DeadLetterRead[]> {
  const argv: Arg[] = [args.group];
  for (const r of args.requests) argv.push(r.id, r.expectOwner, r.expectDeliveries, r.minIdleMs);
  const reply = (await callScript(client, 'deadLetterRead', [stream], argv)) as [number, Buffer[]][];
  return reply.map(([status, fields]) =>
    status === READ_OK ? { fields } : (READ_STATUS[status as keyof typeof READ_STATUS] ?? 'skipped'),
  );
}
