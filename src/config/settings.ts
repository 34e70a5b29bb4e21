/**
 * Settings: the only module that reads `process.env`. Every problem is collected and reported
 * together, before any Redis command is sent; a secret's value never appears in a message.
 */
import { SettingsError } from '../errors';
import { CHECKS, DEFAULTS, REQUIRED, type Check, type SettingName } from './settings-schema';
import { parseHost } from './server-address';
import type { Env, SettingsScope } from './settings-scope';
import { splitList, streamKeys, targetSpec, type TargetSpec } from './target-spec';

export { DEFAULTS, SETTING_NAMES, type SettingName } from './settings-schema';
export { isSingleTarget, streamKeys, type TargetSpec } from './target-spec';

export { describeServer } from './server-address';
export { CONNECTION_SETTINGS, type Env, type SettingsScope } from './settings-scope';

export type AuthMode = 'password' | 'entra';
export type StrategyName = 'auto' | 'redis6.0' | 'redis6.2' | 'redis7';
/** What a reclaimed entry gets (docs/design.md, "Retry policy"). */
export type ReclaimAction = 'process' | 'requeue' | 'dead-letter-only';

/** One reclaimer's configuration, parsed from app settings (environment variables). */
export interface Settings {
  /** Host name or IP of the server (empty when `redisPath` is set). From `REDIS_HOST`. */
  readonly redisHost: string;
  /** TCP port; 6379 when `REDIS_HOST` names none. @default 6379 */
  readonly redisPort: number;
  /** Absolute unix-socket path when `REDIS_HOST` is one. */
  readonly redisPath: string | undefined;
  /** Password (access key). Never logged. From `REDIS_PASSWORD`. */
  readonly redisPassword: string | undefined;
  /** ACL user name. From `REDIS_USERNAME`. */
  readonly redisUsername: string | undefined;
  /** TLS on or off. From `REDIS_TLS`. @default true (false for a unix socket) */
  readonly redisTls: boolean;
  /** PEM file of a private CA. From `REDIS_TLS_CA_FILE`. */
  readonly redisTlsCaFile: string | undefined;
  /** `password` or `entra` (managed identity token). From `REDIS_AUTH`. @default 'password' */
  readonly redisAuth: AuthMode;
  /** Use the Redis Cluster protocol. From `REDIS_CLUSTER` (`true`). @default false */
  readonly redisCluster: boolean;
  /**
   * One endpoint that looks like a single server but shards behind it, refusing scripts and
   * `MULTI` over several hash slots (Azure Managed Redis, Enterprise policy). From
   * `REDIS_CLUSTER=proxy`. Absent on hand-built settings: found out on the first refusal.
   */
  readonly redisProxy?: boolean;
  /** Client ID of a user-assigned managed identity for `entra`. From `AZURE_CLIENT_ID`. */
  readonly azureClientId: string | undefined;
  /** The stream key: `STREAM_NAME` as written (a list stays its raw text; see `targets`). */
  readonly streamName: string;
  /** The consumer group: `STREAM_CONSUMER_GROUP_NAME` as written (a list or `*` stays its raw text). */
  readonly groupName: string;
  /**
   * Which streams and groups a run covers, decided once here (src/reclaim/targets.ts resolves
   * them). Absent on settings a library caller builds by hand: then `streamName` × `groupName`.
   */
  readonly targets?: TargetSpec;
  /** Consumer name the reclaimer claims as. From `MONITORING_CONSUMER_NAME`. @default 'reclaimer' */
  readonly consumerName: string;
  /** Idle time, in ms, before an entry may be reclaimed. From `MIN_IDLE_TIME_SEC`. @default 60000 */
  readonly minIdleMs: number;
  /** Deliveries after which an entry is dead-lettered. From `MAX_DELIVERIES`. @default 5 */
  readonly maxDeliveries: number;
  /**
   * Dead-letter stream key. From `DEAD_LETTER_STREAM`. With several streams this default is
   * built from the raw list and means nothing: each target's own comes from `runTarget` (src/config/run-target.ts).
   * @default '<stream>:dlq'
   */
  readonly deadLetterStream: string;
  /** Prefix of the hash keys written. From `HASH_KEY_PREFIX`. Per target with several streams, as above. @default '<stream>:' */
  readonly hashKeyPrefix: string;
  /** Entry field whose value names the hash; empty means the entry ID. From `HASH_KEY_FIELD`. @default '' */
  readonly hashKeyField: string;
  /** Entries per PEL page and per claim. From `BATCH_SIZE`. @default 100 */
  readonly batchSize: number;
  /** Most entries processed at once. From `CONCURRENCY`. @default 16 */
  readonly concurrency: number;
  /** Time budget of one run, in ms. From `MAX_RUN_SEC`. @default 240000 */
  readonly maxRunMs: number;
  /** NCRONTAB schedule (6 fields, seconds first). From `RECLAIM_SCHEDULE`. @default every 20 seconds (`DEFAULTS.RECLAIM_SCHEDULE`) */
  readonly schedule: string;
  /** Delete consumers idle longer than this (ms) with nothing pending. From `DEREGISTER_IDLE_SEC`. @default undefined (off) */
  readonly deregisterIdleMs: number | undefined;
  /** Report what would be done, change nothing. From `DRY_RUN`. @default false */
  readonly dryRun: boolean;
  /** Scan/claim strategy; `auto` reads the server version. From `RECLAIM_STRATEGY`. @default 'auto' */
  readonly strategy: StrategyName;
  /**
   * Backoff ceiling, ms: an entry delivered d times is due once idle
   * min(minIdleMs × 2^(d−1), this). Off (a fixed `minIdleMs`) when undefined. From `RETRY_BACKOFF_MAX_SEC`.
   * @default undefined (off)
   */
  readonly retryBackoffMaxMs?: number | undefined;
  /** `process` (the processor), `requeue` (a copy back to the consumers) or `dead-letter-only`. From `RECLAIM_ACTION`; absent means `process`. @default 'process' */
  readonly reclaimAction?: ReclaimAction;
  /** Azure Monitor connection string; telemetry export is on when set. */
  readonly appInsightsConnectionString: string | undefined;
  /** `Authorization=AAD;ClientId=…`: Entra ID ingestion of telemetry. From `APPLICATIONINSIGHTS_AUTHENTICATION_STRING`. */
  readonly appInsightsAuthenticationString: string | undefined;
}

/** The process environment: the CLI hands it to its commands, the only other reader of it. */
export const processEnvironment = (): Env => process.env;

/** Parse and validate settings; throws one SettingsError listing every problem. */
export function loadSettings(
  env: Env = process.env,
  overrides: Partial<Record<SettingName, string>> = {},
  scope?: SettingsScope,
): Settings {
  const reported: string[] = [];
  const inScope = (key: SettingName): boolean => scope === undefined || scope.use.includes(key);
  // A problem of a setting out of scope is dropped: the setting keeps its default (or nothing).
  let current: SettingName = 'REDIS_HOST';
  const problems = { push: (p: string): void => void (inScope(current) && reported.push(p)) };
  const raw = (key: SettingName): string => {
    const value = overrides[key] ?? env[key];
    return value === undefined || value.trim() === '' ? '' : value.trim();
  };
  const read = <T>(key: SettingName, fallback?: string, required = true): T | undefined => {
    current = key;
    const given = raw(key);
    const value = given === '' ? (fallback ?? (DEFAULTS as Record<string, string>)[key] ?? '') : given;
    if (value === '') {
      if (required && REQUIRED.includes(key) && !scope?.optional?.includes(key))
        problems.push(`Expected \`${key}\` to be set (${CHECKS[key].expected}), got nothing`);
      return undefined;
    }
    const check: Check = CHECKS[key];
    const parsed = check.schema.safeParse(value);
    if (parsed.success) return parsed.data as T;
    const shown = check.secret ? '<hidden>' : value;
    const why = check.secret ? undefined : check.explain?.(value);
    problems.push(`Expected \`${key}\` to be ${check.expected}, got \`${shown}\`${why ? ` (${why})` : ''}`);
    // Out of scope the problem is dropped above and the default stands in.
    const fallbackValue = fallback ?? (DEFAULTS as Record<string, string>)[key];
    const byDefault = inScope(key) || !fallbackValue ? undefined : check.schema.safeParse(fallbackValue);
    return byDefault?.success ? (byDefault.data as T) : undefined;
  };

  const host = parseHost(read<string>('REDIS_HOST'), problems);
  // STREAM_PATTERN counts only for commands that read it: others (stats, dlq) still need STREAM_NAME.
  const pattern = inScope('STREAM_PATTERN') ? read<string>('STREAM_PATTERN') || undefined : undefined;
  // A pattern given but refused is reported as itself, not as a missing STREAM_NAME.
  const stream =
    read<string>(
      'STREAM_NAME',
      undefined,
      pattern === undefined && !(inScope('STREAM_PATTERN') && raw('STREAM_PATTERN')),
    ) ?? '';
  const group = read<string>('STREAM_CONSUMER_GROUP_NAME') ?? '';
  const clustering = read<boolean | 'proxy'>('REDIS_CLUSTER') ?? false;
  const settings: Settings = {
    redisHost: host.host,
    redisPort: host.port,
    redisPath: host.path,
    redisPassword: read<string>('REDIS_PASSWORD') || undefined,
    redisUsername: read<string>('REDIS_USERNAME') || undefined,
    redisTls: read<boolean>('REDIS_TLS', host.path ? 'false' : 'true') ?? false,
    redisTlsCaFile: read<string>('REDIS_TLS_CA_FILE') || undefined,
    redisAuth: read<AuthMode>('REDIS_AUTH') ?? 'password',
    redisCluster: clustering === true,
    redisProxy: clustering === 'proxy',
    azureClientId: read<string>('AZURE_CLIENT_ID') || undefined,
    streamName: stream,
    groupName: group,
    consumerName: read<string>('MONITORING_CONSUMER_NAME') ?? '',
    minIdleMs: Math.round((read<number>('MIN_IDLE_TIME_SEC') ?? 0) * 1000),
    maxDeliveries: read<number>('MAX_DELIVERIES') ?? 1,
    deadLetterStream: read<string>('DEAD_LETTER_STREAM', streamKeys(stream).deadLetterStream) ?? '',
    hashKeyPrefix: read<string>('HASH_KEY_PREFIX', streamKeys(stream).hashKeyPrefix) ?? '',
    hashKeyField: read<string>('HASH_KEY_FIELD') ?? '',
    batchSize: read<number>('BATCH_SIZE') ?? 1,
    concurrency: read<number>('CONCURRENCY') ?? 1,
    maxRunMs: Math.round((read<number>('MAX_RUN_SEC') ?? 1) * 1000),
    schedule: read<string>('RECLAIM_SCHEDULE') ?? '',
    deregisterIdleMs: mapDefined(read<number>('DEREGISTER_IDLE_SEC'), (s) => Math.round(s * 1000)),
    dryRun: read<boolean>('DRY_RUN') ?? false,
    strategy: read<StrategyName>('RECLAIM_STRATEGY') ?? 'auto',
    retryBackoffMaxMs: mapDefined(read<number>('RETRY_BACKOFF_MAX_SEC'), (s) => Math.round(s * 1000)),
    reclaimAction: read<ReclaimAction>('RECLAIM_ACTION') ?? 'process',
    appInsightsConnectionString: read<string>('APPLICATIONINSIGHTS_CONNECTION_STRING') || undefined,
    appInsightsAuthenticationString: read<string>('APPLICATIONINSIGHTS_AUTHENTICATION_STRING') || undefined,
    targets: targetSpec(
      { stream, pattern, group, deadLetterStream: raw('DEAD_LETTER_STREAM'), hashKeyPrefix: raw('HASH_KEY_PREFIX') },
      problems,
      (key) => (current = key),
    ),
  };
  current = 'REDIS_PASSWORD';
  if (settings.redisAuth === 'entra' && settings.redisPassword) {
    problems.push('Expected `REDIS_PASSWORD` to be empty when `REDIS_AUTH` is `entra`, got a password');
  }
  current = 'DEAD_LETTER_STREAM';
  if (stream && splitList(stream).includes(settings.deadLetterStream)) {
    problems.push(
      `Expected \`DEAD_LETTER_STREAM\` to differ from \`STREAM_NAME\`, got \`${settings.deadLetterStream}\``,
    );
  }
  if (reported.length > 0) throw new SettingsError(reported);
  return Object.freeze(settings);
}

const mapDefined = <T, U>(v: T | undefined, f: (v: T) => U): U | undefined => (v === undefined ? undefined : f(v));
