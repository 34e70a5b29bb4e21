/**
 * `dlq replay` where the dead-letter stream and the source stream lie in different hash slots
 * of one endpoint that shards (Azure Managed Redis, Enterprise policy, keys without a common
 * hash tag): no script may hold both, so each record is added back to its source stream first
 * and deleted from the dead-letter stream second. A kill between the two leaves the record in
 * place, and a later replay adds the entry again: at-least-once, as settling is on such keys
 * (src/reclaim/settle-split.ts). Nothing is ever deleted before it was added back.
 */
import { WrongTypeError } from '../errors';
import { parseRecord } from '../redis/record';
import type { RedisClient } from '../redis/scripts';
import type { ReplayStatus } from '../redis/replay-dead-letter';

type Entry = [Buffer, Buffer[]];

/** Replays one source stream's records one by one: added, then deleted (see the header). */
export async function replaySplit(
  client: RedisClient,
  keys: { deadLetter: string; source: string },
  ids: readonly string[],
): Promise<ReplayStatus[]> {
  // As the script's guard: a source of another type fails before anything is written.
  const type = await client.type(keys.source);
  if (type !== 'stream' && type !== 'none')
    throw new WrongTypeError(`Source stream \`${keys.source}\` holds another type, not a stream; nothing was replayed`);
  const statuses: ReplayStatus[] = [];
  for (const id of ids) {
    // Read again: the record may have been replayed or purged since it was listed.
    const [entry] = (await client.xrangeBuffer(keys.deadLetter, id, id)) as Entry[];
    const record = entry === undefined ? undefined : parseRecord(id, entry[1]);
    if (entry === undefined) statuses.push('gone');
    else if (record === undefined || record.sourceStream !== keys.source) statuses.push('not-a-record');
    else {
      const newId = await client.xadd(keys.source, '*', ...record.fields);
      await client.xdel(keys.deadLetter, id);
      statuses.push({ newId: String(newId) });
    }
  }
  return statuses;
}
