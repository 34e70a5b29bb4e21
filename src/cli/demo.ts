/**
 * `stream-reclaimer demo`: a throwaway redis-server, a crashed consumer's backlog, and one run
 * through the registered timer function — loaded from the built app and invoked the way the
 * Functions worker invokes it — then what changed. Leaves nothing running.
 */
import type { Command } from 'commander';
import Redis from 'ioredis';
import { provideAppSettings, functionsMainFile } from '../local/functions-app';
import { findRedisServer, RedisServerMissingError, startDemoRedis, type DemoRedis } from '../local/redis-server';
import { deadLetters, formatDeadLetters, formatHashes, formatPel, pelByConsumer } from '../local/report';
import { DEMO, seedBacklog, type SeedReport } from '../local/seed';
import { loadFunctionsApp, type CapturedLog } from '../local/worker-standin';
import type { Summary } from '../reclaim/run';
import type { CliIO } from './io';
import { formatSummary } from './run';

export function registerDemo(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command('demo')
    .description('start a throwaway local redis-server with a crashed consumer backlog, run the timer function once, show what happened')
    .action(async () => done(await demoCommand(io)));
}

export async function demoCommand(io: CliIO): Promise<number> {
  const binary = findRedisServer(io.env.PATH);
  if (!binary) {
    io.stderr(`stream-reclaimer: ${new RedisServerMissingError().message}\n`);
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
  const { stream, group } = DEMO;
  const seeded = await seedBacklog(redis);
  io.stdout(describeSeed(seeded));
  io.stdout(formatPel('PEL before', await pelByConsumer(redis, stream, group)) + '\n');

  // The app settings a Functions host would pass to the worker process.
  provideAppSettings({
    REDIS_HOST: server.socket,
    REDIS_TLS: 'false',
    STREAM_NAME: stream,
    STREAM_CONSUMER_GROUP_NAME: group,
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
      'Invoking it with a timer input, as the worker does when the host fires the schedule:\n',
  );
  let summary: Summary;
  try {
    summary = (await app.invokeTimer('reclaim')) as Summary;
  } finally {
    await app.terminate();
  }

  io.stdout('\n' + formatPel('PEL after', await pelByConsumer(redis, stream, group)));
  io.stdout(`    (${DEMO.live}'s entries were only just read, so they are not idle and stay with it)\n\n`);
  io.stdout((await formatHashes(redis, `${stream}:`)) + '\n');
  const dlq = `${stream}:dlq`;
  io.stdout(formatDeadLetters(dlq, await deadLetters(redis, dlq)) + '\n');
  io.stdout(`Summary\n${formatSummary(summary)}`);
}

function describeSeed(s: SeedReport): string {
  return [
    `Seeded stream \`${DEMO.stream}\`, group \`${DEMO.group}\`: ${s.entries} orders.`,
    `  ${DEMO.crashed} read ${s.crashedPending} of them and crashed (idle ${DEMO.crashedIdleMs / 60_000} min, never acknowledged):`,
    `    ${s.poison} poison (delivered ${DEMO.maxDeliveries}+ times, MAX_DELIVERIES=${DEMO.maxDeliveries}),`,
    `    ${s.missingKey} without the \`${DEMO.keyField}\` field (HASH_KEY_FIELD=${DEMO.keyField}),`,
    `    ${s.deleted} deleted from the stream while still pending;`,
    `  ${DEMO.live} is alive and holds ${s.livePending} fresh entries; ${s.undelivered} are not delivered yet.`,
    '',
  ].join('\n') + '\n';
}

/** The function's own log lines, and the worker's only when they matter. */
export const shown = (log: CapturedLog): boolean => log.category === 'user' || /warning|error|critical/.test(log.level);

function formatLog(log: CapturedLog): string {
  const source = log.category === 'user' ? `function ${log.functionName ?? ''}` : 'worker';
  return `  [${source} ${log.level}] ${log.message}\n`;
}
