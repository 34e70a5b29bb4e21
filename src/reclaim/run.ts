/**
 * One run for one stream + group: page through the PEL and hand each page to the page stage,
 * a few pages in flight, until the PEL is covered or the time budget is spent.
 */
import { deregisterIdleConsumers } from './deregister';
import { zeroCounts } from './counts';
import { serverVersion } from '../redis/connection';
import type { RedisClient } from '../redis/client';
import { ActionProcessorError } from '../errors';
import { mapRedisError } from '../redis/reply-errors';
import { rideFailovers } from '../redis/failover';
import { buildKeys } from '../redis/keys';
import { assertGroupExists } from './group-check';
import { fastPathPages, generalPathPages } from './path';
import { sweepOverDelivered } from './over-delivered';
import { atomicSettler } from './settle';
import { chooseMode, stagesFor } from './mode';
import { slotBound } from './slots';
import { instrumentRun, type RunTelemetry } from '../telemetry/instrumentation';
import { createHashWriter, HASH_WRITER } from './process';
import { chooseStrategy, type ScanStrategy } from './scan';
import { replyContext, runTarget, type RunTarget } from '../config/run-target';
import { stopCondition } from './stop';
import { retryPolicy } from './retry-policy';
import { silentLogger, withFields, type Logger } from '../telemetry/logger';

import type { RunOptions, Summary, TurnOptions } from './run-options';

export type { RunOptions, Summary, TurnCursor, TurnOptions } from './run-options';

export function runReclaim(options: RunOptions): Promise<Summary> {
  return runTurn(options);
}

/** One run, or one turn of a target that resumes where `options.cursor` says and moves it on. */
export function runTurn(options: TurnOptions): Promise<Summary> {
  const target = options.target ?? runTarget(options.settings);
  const { settings } = options;
  const action = retryPolicy(settings).action;
  if (options.processor !== undefined && !(HASH_WRITER in options.processor) && action !== 'process') {
    return Promise.reject(
      new ActionProcessorError(
        `Expected no processor with \`RECLAIM_ACTION\` = \`${action}\`, which calls none: set \`RECLAIM_ACTION=process\` to use it`,
      ),
    );
  }
  // Telemetry names the target's own keys, and redacts every secret of the settings.
  const view = {
    ...settings,
    streamName: target.stream,
    groupName: target.group,
    deadLetterStream: target.deadLetterStream,
  };
  // Traces and metrics (src/telemetry/instrumentation.ts); the API's no-op unless an SDK is registered.
  return instrumentRun(options.client, view, (telemetry) => reclaim(options, target, telemetry));
}

async function reclaim(options: TurnOptions, target: RunTarget, telemetry: RunTelemetry): Promise<Summary> {
  const now = options.now ?? Date.now;
  // Every line names the target (several targets' lines interleave in one log).
  const logger = withFields(options.logger ?? silentLogger, { stream: target.stream, group: target.group });
  const started = now();
  const deadline = options.deadline ?? started + options.settings.maxRunMs;
  // On a cluster, commands wait out a failover within the budget (src/redis/failover.ts).
  const { client, release } = rideFailovers(options.client, { deadline, now, logger, signal: options.signal });
  try {
    return await reclaimWith(client, options, target, telemetry, { now, logger, started, deadline });
  } finally {
    release();
  }
}

async function reclaimWith(
  client: RedisClient,
  options: TurnOptions,
  target: RunTarget,
  telemetry: RunTelemetry,
  { now, logger, started, deadline }: { now: () => number; logger: Logger; started: number; deadline: number },
): Promise<Summary> {
  const { settings } = options;
  const policy = retryPolicy(settings);
  const keys = buildKeys({
    streamName: target.stream,
    deadLetterStream: target.deadLetterStream,
    hashKeyPrefix: target.hashKeyPrefix,
  });
  const counts = zeroCounts();
  const errorContext = { ...replyContext(settings, target), deadLetter: target.deadLetterStream };

  let strategy: ScanStrategy;
  try {
    await assertGroupExists(client, target, errorContext);
    strategy = chooseStrategy(settings.strategy, await serverVersion(client));
  } catch (error) {
    throw mapRedisError(error, errorContext);
  }

  const processor = options.processor ?? createHashWriter(keys, settings.hashKeyField);
  // A cluster, or one endpoint that shards (src/reclaim/slots.ts): no step may span two slots.
  const cluster = await slotBound(options.client, settings, keys, logger).catch((error: unknown) => {
    throw mapRedisError(error, errorContext);
  });
  const mode = chooseMode({
    dryRun: settings.dryRun,
    cluster,
    sameSlot: keys.sameSlot,
    fastPathAllowed: options.fastPath !== false && HASH_WRITER in processor,
  });
  const settleContext = { client, keys, group: target.group, consumer: settings.consumerName, now };
  logger.info('run started', {
    stream: keys.stream,
    group: target.group,
    strategy,
    path: mode === 'fast' ? 'fast' : 'general',
    dryRun: settings.dryRun,
  });
  const { stop, reason } = stopCondition({ now, deadline }, options.signal);
  const cursor = options.cursor ?? {};
  const stages = mode === 'fast' ? undefined : stagesFor(mode, settleContext, { policy, processor });
  let complete: boolean;
  try {
    // Entries consumers keep re-claiming for themselves (src/reclaim/over-delivered.ts), beside
    // the scan rather than before it, so the first page is on its way at once (both are fenced).
    const sweepSettler = stages?.settler ?? atomicSettler(settleContext, settings.minIdleMs);
    const sweep = sweepOverDelivered(
      {
        client,
        stream: keys.stream,
        group: target.group,
        maxDeliveries: settings.maxDeliveries,
        minIdleMs: settings.minIdleMs,
        pageSize: settings.batchSize,
        settler: sweepSettler,
        logger,
        stop,
      },
      counts,
    );
    const pathContext = {
      settings,
      settleContext,
      policy,
      strategy,
      cursor,
      stop,
      counts,
      telemetry,
      logger,
      onProgress: options.onProgress,
    };
    const scan = stages === undefined ? fastPathPages(pathContext) : generalPathPages(pathContext, stages);
    [{ complete }] = await Promise.all([scan, sweep]);
  } catch (error) {
    throw mapRedisError(error, errorContext);
  }
  const deregistered = await deregisterIdleConsumers(client, {
    ...settings,
    streamName: target.stream,
    groupName: target.group,
  }).catch((error: unknown) => {
    throw mapRedisError(error, errorContext);
  });

  return {
    stream: target.stream,
    group: target.group,
    ...counts,
    deregistered,
    durationMs: Math.max(0, Math.round(now() - started)),
    complete,
    stopReason: reason(complete),
    dryRun: settings.dryRun,
  };
}
