/**
 * One run for one stream + group: page through the PEL and hand each page to the batch stage,
 * a few pages in flight, until the PEL is covered or the time budget is spent.
 */
import { deregisterIdleConsumers } from './deregister';
import { handleBatch } from './batch';
import { zeroCounts, type Counts } from './counts';
import { serverVersion } from '../redis/connection';
import type { RedisClient } from '../redis/client';
import { deadLetterTypeError, mapRedisError, missingGroupError, type ReplyContext } from '../errors';
import { rideFailovers } from '../redis/failover';
import { groupNames } from '../redis/group-health';
import { buildKeys } from '../redis/keys';
import { createLimiter } from './limit';
import { pipelinePages } from './pipeline';
import { runFastPath } from './fast-path';
import { sweepOverDelivered } from './over-delivered';
import { atomicSettler } from './settle';
import { chooseMode, stagesFor } from './mode';
import { slotBound } from './slots';
import { instrumentRun, type RunTelemetry } from '../telemetry/instrumentation';
import { createHashWriter, HASH_WRITER, type Processor } from './process';
import { chooseStrategy, scanPage, type ScanStrategy } from './scan';
import { describeTarget, type Settings } from '../config/settings';
import { stopCondition, type StopReason } from './stop';
import { silentLogger, withFields, type Logger } from '../telemetry/logger';

export interface Summary extends Counts {
  stream: string;
  group: string;
  deregistered: number;
  durationMs: number;
  complete: boolean;
  /** Why the run stopped: `covered` exactly when `complete`; else `budget` or `interrupted`. */
  stopReason: StopReason;
  dryRun: boolean;
}

export interface RunOptions {
  client: RedisClient;
  settings: Settings;
  /** @default the hash writer (`HSET <HASH_KEY_PREFIX><key> <fields…>`, atomic with the ack) */
  processor?: Processor;
  /** Clock in epoch ms; tests inject one to spend the budget deterministically. @default Date.now */
  now?: () => number;
  /** @default no logging */
  logger?: Logger;
  /** Called after each page is settled, with the counts so far (progress display). */
  onProgress?: (counts: Readonly<Counts>) => void;
  /** Stops starting new pages (like a spent budget, but reported as `interrupted`); work in flight finishes. */
  signal?: AbortSignal;
  /**
   * Let the hash writer settle whole pages server-side. It is used only with
   * the built-in hash writer, outside dry runs, and on a cluster only when the keys share a slot.
   * @default true
   */
  fastPath?: boolean;
}

/** Pages in flight on the general path: scanning the next page overlaps settling the previous. */
const PAGES_IN_FLIGHT = 2;
/** Fast-path scripts in flight: enough that the server never waits for a round trip. */
const FAST_SCRIPTS_IN_FLIGHT = 3;

export function runReclaim(options: RunOptions): Promise<Summary> {
  // Traces and metrics (src/telemetry/instrumentation.ts); the API's no-op unless an SDK is registered.
  return instrumentRun(options.client, options.settings, (telemetry) => reclaim(options, telemetry));
}

async function reclaim(options: RunOptions, telemetry: RunTelemetry): Promise<Summary> {
  const { settings } = options;
  const now = options.now ?? Date.now;
  // Every line names the target (several targets' lines interleave in one log).
  const logger = withFields(options.logger ?? silentLogger, { stream: settings.streamName, group: settings.groupName });
  const started = now();
  // On a cluster, commands wait out a failover within the budget (src/redis/failover.ts).
  const { client, release } = rideFailovers(options.client, { deadline: started + settings.maxRunMs, now, logger, signal: options.signal });
  try {
    return await reclaimWith(client, options, telemetry, { now, logger, started });
  } finally {
    release();
  }
}

async function reclaimWith(
  client: RedisClient,
  options: RunOptions,
  telemetry: RunTelemetry,
  { now, logger, started }: { now: () => number; logger: Logger; started: number },
): Promise<Summary> {
  const { settings } = options;
  const keys = buildKeys(settings);
  const counts = zeroCounts();
  const errorContext = {
    target: describeTarget(settings),
    stream: settings.streamName,
    group: settings.groupName,
    deadLetter: settings.deadLetterStream,
    secrets: [settings.redisPassword],
  };

  let strategy: ScanStrategy;
  try {
    await assertGroupExists(client, settings, errorContext);
    strategy = chooseStrategy(settings.strategy, await serverVersion(client));
  } catch (error) {
    throw mapRedisError(error, errorContext);
  }

  const processor = options.processor ?? createHashWriter(keys, settings.hashKeyField);
  // A cluster, or one endpoint that shards (src/reclaim/slots.ts): no step may span two slots.
  const cluster = await slotBound(options.client, settings, keys, logger).catch((error: unknown) => {
    throw mapRedisError(error, errorContext);
  });
  const mode = chooseMode({ dryRun: settings.dryRun, cluster, sameSlot: keys.sameSlot, fastPathAllowed: options.fastPath !== false && HASH_WRITER in processor });
  const settleContext = { client, keys, group: settings.groupName, consumer: settings.consumerName, now };
  logger.info('run started', { stream: keys.stream, group: settings.groupName, strategy, path: mode === 'fast' ? 'fast' : 'general', dryRun: settings.dryRun });
  const { stop, reason } = stopCondition({ now, started, maxRunMs: settings.maxRunMs }, options.signal);
  const stages = mode === 'fast' ? undefined : stagesFor(mode, settleContext, { minIdleMs: settings.minIdleMs, processor });
  let complete: boolean;
  try {
    // Entries consumers keep re-claiming for themselves (src/reclaim/over-delivered.ts), beside
    // the scan rather than before it, so the first page is on its way at once (both are fenced).
    const sweepSettler = stages?.settler ?? atomicSettler(settleContext, settings.minIdleMs);
    const sweep = sweepOverDelivered(
      { client, stream: keys.stream, group: settings.groupName, maxDeliveries: settings.maxDeliveries, minIdleMs: settings.minIdleMs, pageSize: settings.batchSize, settler: sweepSettler, logger, stop },
      counts,
    );
    let scan: Promise<{ complete: boolean }>;
    if (stages === undefined) {
      const fastContext = { ...settleContext, minIdleMs: settings.minIdleMs, maxDeliveries: settings.maxDeliveries, hashKeyField: settings.hashKeyField, checkSlot: cluster };
      scan = runFastPath(fastContext, {
        strategy,
        pageSize: settings.batchSize,
        depth: Math.min(settings.concurrency, FAST_SCRIPTS_IN_FLIGHT),
        stop,
        page: async (work) => {
          await telemetry.batch(settings.batchSize, counts, work);
          options.onProgress?.(counts);
        },
      });
    } else {
      const ctx = {
        stages,
        consumer: settings.consumerName,
        source: { stream: keys.stream, group: settings.groupName },
        maxDeliveries: settings.maxDeliveries,
        hashKeyField: settings.hashKeyField,
        limit: createLimiter(settings.concurrency),
        logger,
      };
      scan = pipelinePages({
        workers: PAGES_IN_FLIGHT,
        stop,
        scan: (cursor) =>
          scanPage(client, strategy, { stream: keys.stream, group: settings.groupName, minIdleMs: settings.minIdleMs, count: settings.batchSize, cursor }),
        handle: async (entries) => {
          await telemetry.batch(entries.length, counts, (own) => handleBatch(ctx, entries, own));
          options.onProgress?.(counts);
        },
      });
    }
    [{ complete }] = await Promise.all([scan, sweep]);
  } catch (error) {
    throw mapRedisError(error, errorContext);
  }
  const deregistered = await deregisterIdleConsumers(client, settings).catch((error: unknown) => {
    throw mapRedisError(error, errorContext);
  });

  return {
    stream: settings.streamName,
    group: settings.groupName,
    ...counts,
    deregistered,
    durationMs: Math.max(0, Math.round(now() - started)),
    complete,
    stopReason: reason(complete),
    dryRun: settings.dryRun,
  };
}

/**
 * Before any write: XINFO GROUPS fails on a missing stream (`no such key`, mapped to
 * MissingStreamError) or another type; a missing group (named with the groups there are) and a
 * dead-letter key of another type are checked here. (Each script checks the dead-letter
 * key again before its first write, in case it changes during the run.)
 */
async function assertGroupExists(client: RedisClient, settings: Settings, ctx: ReplyContext & { deadLetter: string }): Promise<void> {
  const names = await groupNames(client, settings.streamName);
  if (!names.includes(settings.groupName)) throw missingGroupError(ctx, names);
  const dlqType = await client.type(settings.deadLetterStream);
  if (dlqType !== 'stream' && dlqType !== 'none') throw deadLetterTypeError(ctx, `dead-letter key holds another type (${dlqType})`);
}
