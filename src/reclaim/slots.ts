/**
 * Whether this run's steps must each stay within one hash slot, and what the run says about
 * it. A Redis Cluster client, `REDIS_CLUSTER=proxy`, or a plain connection whose endpoint turns
 * out to refuse keys in several slots (src/redis/topology.ts) all do; then keys that share the
 * stream's hash tag keep the atomic paths and others settle write-then-ack (src/reclaim/mode.ts).
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from '../redis/client';
import type { Keys } from '../redis/keys';
import { runKeys, splitsSlots } from '../redis/topology';
import { describeServer, type Settings } from '../config/settings';
import type { Logger } from '../telemetry/logger';

export async function slotBound(client: RedisClient, settings: Settings, keys: Keys, logger: Logger): Promise<boolean> {
  // A library caller may hand a Cluster client with REDIS_CLUSTER unset: either one says cluster.
  const stated = settings.redisCluster || settings.redisProxy === true || client instanceof Cluster;
  if (stated) {
    if (!keys.sameSlot) {
      // Scripts touch one slot only: settling falls back to write-then-ack (src/reclaim/settle-split.ts).
      logger.warn(
        'stream, dead-letter stream and hash key prefix do not share one hash tag: settling is at-least-once (write, then ack); see docs/servers.md',
        {
          stream: keys.stream,
          deadLetterStream: keys.deadLetter,
          hashKeyPrefix: keys.hashPrefix,
        },
      );
    }
    return true;
  }
  // Tagged keys need no answer: every step stays in one slot anyway. A dry run writes nothing.
  if (keys.sameSlot || settings.dryRun) return false;
  return splitsSlots(client, runKeys(keys), () =>
    logger.warn(foundMessage(settings, keys), {
      stream: keys.stream,
      deadLetterStream: keys.deadLetter,
      hashKeyPrefix: keys.hashPrefix,
    }),
  );
}

function foundMessage(settings: Settings, keys: Keys): string {
  const tag = `{${keys.stream}}`;
  return (
    `Redis at ${describeServer(settings)} refused a script over keys in several hash slots (CROSSSLOT): it is one endpoint that shards ` +
    '(like Azure Managed Redis under the Enterprise clustering policy). From now on no step of this process spans two slots, and where ' +
    'the stream, dead-letter stream and hash key prefix do not share one hash tag settling is at-least-once (write, then ack). ' +
    `For the atomic fast path name them with the stream's hash tag (STREAM_NAME=${tag} with the default ${tag}:dlq and ${tag}:); ` +
    'set REDIS_CLUSTER=proxy to skip this check (docs/servers.md)'
  );
}
