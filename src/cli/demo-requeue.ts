/**
 * The demo's second act: the same kind of crashed backlog reclaimed with RECLAIM_ACTION=requeue
 * next to the default `process`, on a stream of its own, so the difference shows: `process`
 * writes hashes, `requeue` hands copies back that a live consumer then reads with `>`.
 */
import type Redis from 'ioredis';
import { connect } from '../redis/connection';
import { loadSettings } from '../config/settings';
import { runReclaim } from '../reclaim/run';
import type { DemoRedis } from '../local/redis-server';
import type { CliIO } from './io';

const STREAM = 'tasks';
const GROUP = 'indexers';
const ENTRIES = 6;

export async function showRequeue(io: CliIO, redis: Redis, server: DemoRedis): Promise<void> {
  io.stdout(`\nNext to \`process\`: RECLAIM_ACTION=requeue, on stream \`${STREAM}\`, group \`${GROUP}\`.\n`);
  await redis.xgroup('CREATE', STREAM, GROUP, '$', 'MKSTREAM');
  for (let i = 0; i < ENTRIES; i++) await redis.xadd(STREAM, '*', 'doc', `doc-${i}`, 'action', 'index');
  const read = (await redis.xreadgroup('GROUP', GROUP, 'indexer-1', 'COUNT', ENTRIES, 'STREAMS', STREAM, '>')) as [
    string,
    [string, string[]][],
  ][];
  const ids = read[0]?.[1].map(([id]) => id) ?? [];
  // indexer-1 crashed 15 minutes ago (the idle time is set, not waited for).
  await redis.call('XCLAIM', STREAM, GROUP, 'indexer-1', 0, ...ids, 'IDLE', 900_000, 'JUSTID', 'FORCE');
  io.stdout(`  indexer-1 read ${ids.length} entries and crashed (idle 15 min).\n`);

  const settings = loadSettings({
    REDIS_HOST: server.socket,
    REDIS_TLS: 'false',
    STREAM_NAME: STREAM,
    STREAM_CONSUMER_GROUP_NAME: GROUP,
    RECLAIM_ACTION: 'requeue',
  });
  const client = await connect(settings);
  try {
    const summary = await runReclaim({ client, settings });
    io.stdout(
      `  one run: ${summary.scanned} scanned, ${summary.requeued} requeued, ${summary.processed} processed (no hash written), PEL now ${((await redis.call('XPENDING', STREAM, GROUP)) as [number])[0]}\n`,
    );
  } finally {
    client.disconnect();
  }
  const copies = (await redis.xreadgroup('GROUP', GROUP, 'indexer-2', 'COUNT', ENTRIES, 'STREAMS', STREAM, '>')) as [
    string,
    [string, string[]][],
  ][];
  const got = copies[0]?.[1] ?? [];
  io.stdout(
    `  indexer-2, alive, reads ${got.length} copies with \`>\`, e.g. ${got[0]?.[0] ?? '—'} → ${(got[0]?.[1] ?? []).join(' ')}\n`,
  );
  await redis.xack(STREAM, GROUP, ...got.map(([id]) => id));
  io.stdout(`  and acks them: the work was done by a consumer, counted over copies by reclaim.deliveries.\n`);
}
