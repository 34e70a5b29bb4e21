/** The typed wrapper of `scripts/replay-dead-letter.lua`: the script's reply as plain objects. */
import { callScript, type RedisClient } from './scripts';
import { REPLAY_STATUS } from './script-status';

/**
 * Per record: the new source-stream ID, `gone` (already replayed or purged), `not-a-record`, or
 * `too-wide` (left for the MULTI of src/redis/wide.ts).
 */
export type ReplayStatus = { newId: string } | 'gone' | 'not-a-record' | 'too-wide';

/** Replays dead-letter records of one source stream (same slot as the DLQ; the caller checks). */
export async function replayDeadLetters(
  client: RedisClient,
  keys: { deadLetter: string; source: string },
  ids: readonly string[],
): Promise<ReplayStatus[]> {
  const reply = (await callScript(client, 'replayDeadLetter', [keys.deadLetter, keys.source], ids)) as (
    Buffer | number
  )[];
  return reply.map((r) =>
    typeof r === 'number' ? REPLAY_STATUS[r as keyof typeof REPLAY_STATUS] : { newId: r.toString() },
  );
}
