/**
 * A turn's pages along its path (docs/glossary.md, "path"): the fast path's page scripts, or the
 * general path's scan-then-settle pipeline. Either resumes after the turn's cursor and moves it on.
 */
import type { Settings } from '../config/settings';
import type { RunTelemetry } from '../telemetry/instrumentation';
import type { Logger } from '../telemetry/logger';
import type { Counts } from './counts';
import { runFastPath } from './fast-path';
import { createLimiter } from './limit';
import { handlePage } from './page';
import { pipelinePages } from './pipeline';
import type { RetryPolicy } from './retry-policy';
import type { TurnCursor } from './run-options';
import { cursorAfter, scanPage, type ScanStrategy } from './scan';
import type { SettleContext, Stages } from './stages';

/** Pages in flight on the general path: scanning the next page overlaps settling the previous. */
const PAGES_IN_FLIGHT = 2;
/** Fast-path scripts in flight: enough that the server never waits for a round trip. */
const FAST_SCRIPTS_IN_FLIGHT = 3;

/** What both paths need of the turn. */
export interface PathContext {
  settings: Settings;
  settleContext: SettleContext;
  policy: RetryPolicy;
  strategy: ScanStrategy;
  cursor: TurnCursor;
  stop: () => boolean;
  counts: Counts;
  telemetry: RunTelemetry;
  logger: Logger;
  onProgress?: ((counts: Readonly<Counts>) => void) | undefined;
}

/** The fast path: one script per page, a few in flight; `complete` once the PEL is covered. */
export function fastPathPages(ctx: PathContext): Promise<{ complete: boolean }> {
  const { settings, policy, cursor, counts, telemetry } = ctx;
  // chooseMode picked the fast path on a cluster only for keys in one slot: no page asks again.
  const fastContext = { ...ctx.settleContext, ...policy, hashKeyField: settings.hashKeyField, checkSlot: false };
  return runFastPath(fastContext, {
    after: cursor.after,
    strategy: ctx.strategy,
    pageSize: settings.batchSize,
    depth: Math.min(settings.concurrency, FAST_SCRIPTS_IN_FLIGHT),
    stop: ctx.stop,
    page: async (work) => {
      await telemetry.page(settings.batchSize, counts, work);
      ctx.onProgress?.(counts);
    },
  }).then(({ complete, furthest }) => {
    cursor.after = furthest;
    return { complete };
  });
}

/** The general path: scan a page, then claim, process and settle it with the mode's stages. */
export function generalPathPages(ctx: PathContext, stages: Stages): Promise<{ complete: boolean }> {
  const { settings, policy, cursor, counts, telemetry, strategy } = ctx;
  const { client, keys, group } = ctx.settleContext;
  const pageContext = {
    stages,
    consumer: settings.consumerName,
    source: { stream: keys.stream, group },
    maxDeliveries: settings.maxDeliveries,
    minIdleMs: settings.minIdleMs,
    hashKeyField: policy.action === 'process' ? settings.hashKeyField : '',
    limit: createLimiter(settings.concurrency),
    logger: ctx.logger,
  };
  return pipelinePages({
    workers: PAGES_IN_FLIGHT,
    stop: ctx.stop,
    start: cursorAfter(strategy, cursor.after),
    scan: (at) =>
      scanPage(client, strategy, {
        stream: keys.stream,
        group,
        minIdleMs: settings.minIdleMs,
        count: settings.batchSize,
        cursor: at,
      }),
    handle: async (entries) => {
      await telemetry.page(entries.length, counts, (own) => handlePage(pageContext, entries, own));
      ctx.onProgress?.(counts);
    },
  }).then(({ complete, reached }) => {
    cursor.after = reached ?? cursor.after;
    return { complete };
  });
}
