/**
 * What every setting must look like: its default, its check, and the words an error uses for
 * what is expected. The keys of CHECKS are every environment variable this product reads;
 * only src/config/settings.ts reads them.
 */
import { existsSync } from 'node:fs';
import * as z from 'zod/mini';
import { globProblem } from './glob';
import { validateSchedule } from './schedule';

/** Defaults of the optional settings, as the raw strings an operator would write. */
export const DEFAULTS = Object.freeze({
  REDIS_PASSWORD: '',
  REDIS_USERNAME: '',
  REDIS_TLS_CA_FILE: '',
  REDIS_AUTH: 'password',
  REDIS_CLUSTER: 'false',
  AZURE_CLIENT_ID: '',
  STREAM_PATTERN: '',
  MONITORING_CONSUMER_NAME: 'reclaimer',
  MIN_IDLE_TIME_SEC: '60',
  MAX_DELIVERIES: '5',
  HASH_KEY_FIELD: '',
  BATCH_SIZE: '100',
  CONCURRENCY: '16',
  MAX_RUN_SEC: '240',
  RECLAIM_SCHEDULE: '*/20 * * * * *',
  DEREGISTER_IDLE_SEC: '',
  DRY_RUN: 'false',
  RECLAIM_STRATEGY: 'auto',
  RETRY_BACKOFF_MAX_SEC: '',
  RECLAIM_ACTION: 'process',
  APPLICATIONINSIGHTS_CONNECTION_STRING: '',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: '',
} as const);

/** `explain` says what exactly is wrong with a value the schema refused, when more can be said. */
export type Check = {
  schema: z.ZodMiniType;
  expected: string;
  secret?: boolean;
  explain?: (value: string) => string | undefined;
};

// zod's mini build: the same checks, a tenth of the code to load at every cold start (the
// error messages are ours, from `expected`, so zod's locales are not needed).
const text = z.string();
const lower = z.pipe(
  z.string(),
  z.transform((v: string) => v.toLowerCase()),
);
// Operators write booleans every way shells and portals do: TRUE, 1, yes.
const TRUTHY = ['true', '1', 'yes'];
const BOOL_WORDS = ['true', 'false', '1', '0', 'yes', 'no'] as const;
const boolWord = z.pipe(
  z.enum(BOOL_WORDS),
  z.transform((v: (typeof BOOL_WORDS)[number]) => TRUTHY.includes(v)),
);
const bool = z.pipe(lower, boolWord);
const BOOL_EXPECTED = '`true` or `false` (also 1/0, yes/no, any case)';
const numberIn = (pattern: RegExp, ...checks: z.core.$ZodCheck<number>[]) =>
  z.pipe(z.pipe(z.string().check(z.regex(pattern)), z.transform(Number)), z.number().check(...checks));
const INTEGER = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const positiveSeconds = numberIn(DECIMAL, z.positive());
const name = z.string().check(z.minLength(1), z.maxLength(1024));
const matching = (check: (value: string) => boolean) => z.string().check(z.refine(check));

/** What each setting must look like; the map's keys are every setting this product reads. */
export const CHECKS = {
  REDIS_HOST: { schema: name, expected: '`host:port`, `host` or an absolute unix-socket path' },
  REDIS_PASSWORD: { schema: text, expected: 'a password', secret: true },
  REDIS_USERNAME: { schema: text, expected: 'an ACL user name' },
  REDIS_TLS: { schema: bool, expected: BOOL_EXPECTED },
  // Checked here so a misspelt path is a settings error (exit 2), not ENOENT at connect time.
  REDIS_TLS_CA_FILE: { schema: matching((path) => existsSync(path)), expected: 'the path of an existing PEM file' },
  REDIS_AUTH: { schema: z.enum(['password', 'entra']), expected: '`password` or `entra`' },
  // `proxy`: one endpoint that shards behind it (Azure Managed Redis, Enterprise clustering policy).
  REDIS_CLUSTER: {
    schema: z.pipe(lower, z.union([z.literal('proxy'), boolWord])),
    expected: '`true`, `false` (also 1/0, yes/no, any case) or `proxy`',
  },
  AZURE_CLIENT_ID: { schema: text, expected: 'a managed identity client ID' },
  STREAM_NAME: { schema: name, expected: 'the stream key' },
  // Exclusive with STREAM_NAME (settings.ts checks that exactly one is set). Read as SCAN and
  // `acl` read it (src/config/glob.ts): a glob Redis reads otherwise than written is refused here.
  STREAM_PATTERN: {
    schema: z.string().check(
      z.minLength(1),
      z.maxLength(1024),
      z.refine((p) => globProblem(p) === undefined),
    ),
    expected: 'a Redis glob such as `events:*`',
    explain: globProblem,
  },
  STREAM_CONSUMER_GROUP_NAME: { schema: name, expected: 'the consumer group name' },
  MONITORING_CONSUMER_NAME: { schema: name, expected: 'a consumer name' },
  MIN_IDLE_TIME_SEC: { schema: numberIn(DECIMAL, z.minimum(0)), expected: 'a number >= 0' },
  // At most 2^53 - 1: every limit is then exact as a number, and a count beyond it, even read
  // inexactly as a double (Lua, JSON), still compares as over the limit.
  MAX_DELIVERIES: {
    schema: numberIn(INTEGER, z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER)),
    expected: `an integer from 1 to ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`,
  },
  DEAD_LETTER_STREAM: { schema: name, expected: 'a stream key' },
  HASH_KEY_PREFIX: { schema: text, expected: 'a key prefix' },
  HASH_KEY_FIELD: { schema: text, expected: 'an entry field name' },
  BATCH_SIZE: { schema: numberIn(INTEGER, z.minimum(1), z.maximum(10_000)), expected: 'an integer from 1 to 10000' },
  CONCURRENCY: { schema: numberIn(INTEGER, z.minimum(1), z.maximum(1_000)), expected: 'an integer from 1 to 1000' },
  MAX_RUN_SEC: { schema: positiveSeconds, expected: 'a number > 0' },
  RECLAIM_SCHEDULE: {
    schema: matching((s) => validateSchedule(s) === undefined),
    expected: 'a 6-field NCRONTAB expression (seconds first), like `*/20 * * * * *`',
    explain: validateSchedule,
  },
  DEREGISTER_IDLE_SEC: { schema: positiveSeconds, expected: 'a number > 0, or empty for off' },
  DRY_RUN: { schema: bool, expected: BOOL_EXPECTED },
  RECLAIM_STRATEGY: {
    schema: z.enum(['auto', 'redis6.0', 'redis6.2', 'redis7']),
    expected: '`auto`, `redis6.0`, `redis6.2` or `redis7`',
  },
  RETRY_BACKOFF_MAX_SEC: { schema: positiveSeconds, expected: 'a number > 0, or empty for off' },
  RECLAIM_ACTION: {
    schema: z.enum(['process', 'requeue', 'dead-letter-only']),
    expected: '`process`, `requeue` or `dead-letter-only`',
  },
  APPLICATIONINSIGHTS_CONNECTION_STRING: { schema: text, expected: 'a connection string', secret: true },
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: {
    schema: z.string().check(z.regex(/^Authorization=AAD(;ClientId=[^;]*)?$|^ClientId=[^;]*;Authorization=AAD$/i)),
    expected: '`Authorization=AAD` or `Authorization=AAD;ClientId=<client id>`',
  },
} satisfies Record<string, Check>;

export type SettingName = keyof typeof CHECKS;
/** Every environment variable this product reads (the infra test compares it with the Bicep). */
export const SETTING_NAMES = Object.freeze(Object.keys(CHECKS) as SettingName[]);
export const REQUIRED: readonly SettingName[] = ['REDIS_HOST', 'STREAM_NAME', 'STREAM_CONSUMER_GROUP_NAME'];
