/** The typed wrapper of `scripts/delete-idle-consumer.lua`: the script's reply as plain objects. */
import { callScript, type RedisClient } from './scripts';
import { CONSUMER_DELETED } from './script-status';

/** Deletes one consumer if, atomically, it has nothing pending, is idle > `idleMs`, and is not `protect`. */
export async function deleteIdleConsumer(
  client: RedisClient,
  stream: string,
  args: { group: string; consumer: string | Buffer; idleMs: number; protect: string },
): Promise<boolean> {
  return (
    (await callScript(
      client,
      'deleteIdleConsumer',
      [stream],
      [args.group, args.consumer, args.idleMs, args.protect],
    )) === CONSUMER_DELETED
  );
}
