/** The turn's check before any write: its stream, consumer group and dead-letter key are usable. */
import type { ReplyContext } from '../errors';
import type { RunTarget } from '../config/run-target';
import type { RedisClient } from '../redis/client';
import { groupNames } from '../redis/group-health';
import { deadLetterTypeError, missingGroupError } from '../redis/reply-errors';

/**
 * Before any write: XINFO GROUPS fails on a missing stream (`no such key`, mapped to
 * MissingStreamError) or another type; a missing group (named with the groups there are) and a
 * dead-letter key of another type are checked here. (Each script checks the dead-letter
 * key again before its first write, in case it changes during the run.)
 */
export async function assertGroupExists(
  client: RedisClient,
  target: RunTarget,
  ctx: ReplyContext & { deadLetter: string },
): Promise<void> {
  const names = await groupNames(client, target.stream);
  if (!names.includes(target.group)) throw missingGroupError(ctx, names);
  const dlqType = await client.type(target.deadLetterStream);
  if (dlqType !== 'stream' && dlqType !== 'none')
    throw deadLetterTypeError(ctx, `dead-letter key holds another type (${dlqType})`);
}
