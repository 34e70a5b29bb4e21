/**
 * The library's public surface: what a program that embeds the reclaimer imports (README,
 * "Using it as a library"). Everything else under src/ is internal and may change.
 */
export { loadSettings, type Settings } from './config/settings';
export { connect, type RedisClient } from './redis/connection';
export { runReclaim, type RunOptions, type Summary } from './reclaim/run';
export { renewLease, type LeaseRequest } from './redis/lease';
export {
  runTargets,
  type FailedTarget,
  type RunSummary,
  type RunTargetsOptions,
  type TargetSummary,
} from './reclaim/run-targets';
export type { RunTarget } from './config/run-target';
export type { StopReason } from './reclaim/stop';
export type { Entry, EntrySource, HashWrite, Processor } from './reclaim/process';
export type { Logger, LogFields } from './telemetry/logger';
export {
  ActionProcessorError,
  DiscoveryTimeoutError,
  EntraTokenError,
  KeySlotError,
  LeaseArgumentError,
  MissingGroupError,
  MissingStreamError,
  NodeUnavailableError,
  RedisAuthError,
  RedisUnavailableError,
  SettingsError,
  UnprocessableEntryError,
  UsageError,
  WrongTypeError,
} from './errors';
