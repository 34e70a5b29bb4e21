/**
 * `stream-reclaimer demo`: a throwaway redis-server, crashed consumers' backlogs on two streams
 * and three groups, and one run over all three targets through the registered timer function —
 * loaded from the built app and invoked the way the Functions worker invokes it — then what
 * changed for each. Leaves nothing running.
 */
import Redis from 'ioredis';
import { provideAppSettings, functionsMainFile } from '../local/functions-app';
import { RedisServerMissingError, resolveRedisServer, startDemoRedis, type DemoRedis } from '../local/redis-server';
import { deadLetters, formatDeadLetters, formatHashes, formatPel, pelByConsumer } from '../local/report';
import { DEMO, seedDemo, type SeedReport } from '../local/seed';
import { loadFunctionsApp, type CapturedLog } from '../local/worker-standin';
import type { RunSummary } from '../reclaim/run-targets';
import type { CliIO } from './io';
import { formatSummary } from './run';
import { showRequeue } from './demo-requeue';

export async function demoCommand(io: CliIO): Promise<number> {
  let binary: string;
  try {
    binary = await resolveRedisServer({ env: io.env, say: (line) => io.stdout(`${line}\n`) });
  } catch (error) {
    if (!(error instanceof RedisServerMissingError)) throw error;
    io.stderr(`stream-reclaimer: ${error.message}\n`);
    return 2;
  }
  const main = functionsMainFile();
  const server = await startDemoRedis(binary);
  io.stdout(`Started a throwaway redis-server (pid ${server.pid}) on ${server.socket}\n\n`);
  // Ctrl-C: stop the server now; the steps in progress then fail and the finally block reports.
  const removeInterrupt = io.onInterrupt(() => void server.stop());
  const redis = new Redis({ path: server.socket, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await showDemo(io, redis, server, main);
    return 0;
  } catch (error) {
    io.stderr(`stream-reclaimer: the demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    removeInterrupt();
    redis.disconnect();
    await server.stop();
    io.stdout(`\nStopped redis-server (pid ${server.pid}) and removed its directory; nothing is left running.\n`);
  }
}

async function showDemo(io: CliIO, redis: Redis, server: DemoRedis, main: string): Promise<void> {
  const seeded = await seedDemo(redis);
  io.stdout(describeSeed(seeded));
  const streams = Object.keys(DEMO.streams);
  const pels = async (when: string): Promise<string> =>
    (
      await Promise.all(
        DEMO.groups.map(async (g) =>
          formatPel(`PEL ${when}, ${g.stream} / ${g.group}`, await pelByConsumer(redis, g.stream, g.group)),
        ),
      )
    ).join('');
  io.stdout((await pels('before')) + '\n');

  // The app settings a Functions host would pass to the worker process: both streams, and
  // every group of each (`*`), so one invocation covers all three targets.
  provideAppSettings({
    REDIS_HOST: server.socket,
    REDIS_TLS: 'false',
    STREAM_NAME: streams.join(','),
    STREAM_CONSUMER_GROUP_NAME: '*',
    MIN_IDLE_TIME_SEC: String(DEMO.minIdleSec),
    MAX_DELIVERIES: String(DEMO.maxDeliveries),
    HASH_KEY_FIELD: DEMO.keyField,
    BATCH_SIZE: '50',
    CONCURRENCY: '8',
  });
  const app = await loadFunctionsApp(main, { onLog: (log) => shown(log) && io.stdout(formatLog(log)) });
  const fn = app.functions.get('reclaim');
  const trigger = Object.values(fn?.metadata.bindings ?? {}).find((b) => b.type === 'timerTrigger');
  io.stdout(
    `Loaded ${main} with a stand-in Functions worker; it registered: ${[...app.functions.keys()].join(', ')}.\n` +
      `\`reclaim\` is a ${trigger?.type ?? '?'} on ${String(trigger?.schedule)} (RECLAIM_SCHEDULE, default */20 * * * * *).\n` +
      `Invoking it once with a timer input, as the worker does when the host fires the schedule, with STREAM_NAME=${streams.join(',')} and STREAM_CONSUMER_GROUP_NAME=* (every group of each stream):\n`,
  );
  let summary: RunSummary;
  try {
    summary = (await app.invokeTimer('reclaim')) as RunSummary;
  } finally {
    await app.terminate();
  }

  io.stdout('\n' + (await pels('after')));
  const live = DEMO.groups.flatMap((g) => (g.live ? [g.live.name] : []));
  io.stdout(`    (${live.join(', ')}'s entries were only just read, so they are not idle and stay with it)\n\n`);
  for (const stream of streams) {
    const groups = DEMO.groups.filter((g) => g.stream === stream).map((g) => g.group);
    io.stdout(await formatHashes(redis, `${stream}:`));
    if (groups.length > 1)
      io.stdout(
        `    (${groups.join(' and ')} read the same entries of ${stream}: their writes land on the same hashes)\n`,
      );
  }
  io.stdout('\n');
  for (const stream of streams)
    io.stdout(formatDeadLetters(`${stream}:dlq`, await deadLetters(redis, `${stream}:dlq`)));
  io.stdout(`\nSummary (totals, then each target)\n${formatSummary(summary)}`);
  await showRequeue(io, redis, server);
}

function describeSeed(seeded: readonly SeedReport[]): string {
  const lines = Object.entries(DEMO.streams).flatMap(([stream, n]) => [
    `Seeded stream \`${stream}\` with ${n} entries; its groups:`,
    ...seeded
      .filter((s) => s.stream === stream)
      .flatMap((s) => [
        `  \`${s.group}\`: ${s.crashed} read ${s.crashedCount} entries and crashed (idle ${DEMO.crashedIdleMs / 60_000} min, never acknowledged):`,
        `    ${s.poison} poison (delivered ${DEMO.maxDeliveries}+ times, MAX_DELIVERIES=${DEMO.maxDeliveries}),`,
        `    ${s.missingKey} without the \`${DEMO.keyField}\` field (HASH_KEY_FIELD=${DEMO.keyField}),`,
        `    ${s.deleted} deleted from the stream while still pending;`,
        `    ${s.live ? `${s.live.name} is alive and holds ${s.live.count} fresh entries; ` : ''}${s.undelivered} are not delivered yet.`,
      ]),
  ]);
  return `${lines.join('\n')}\n\n`;
}

/** The function's own log lines, and the worker's only when they matter. */
export const shown = (log: CapturedLog): boolean => log.category === 'user' || /warning|error|critical/.test(log.level);

function formatLog(log: CapturedLog): string {
  const source = log.category === 'user' ? `function ${log.functionName ?? ''}` : 'worker';
  return `  [${source} ${log.level}] ${log.message}\n`;
}
