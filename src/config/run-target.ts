/**
 * What one run works on, apart from the settings: its target (a stream × group and the keys it
 * writes), and the two things every message about it needs: the error-reply context and the
 * secrets to redact. Each is built here only, so no call site can forget a secret.
 */
import type { ReplyContext } from '../errors';
import { describeServer, type Env, type Settings } from './settings';
import { CHECKS, SETTING_NAMES, type Check } from './settings-schema';
import { streamKeys } from './target-spec';

/** One target of a run: a stream × group, and the dead-letter stream and hash prefix its run writes. */
export interface RunTarget {
  readonly stream: string;
  readonly group: string;
  readonly deadLetterStream: string;
  readonly hashKeyPrefix: string;
}

/**
 * The target of `stream` × `group` under these settings: that stream's default keys unless
 * `DEAD_LETTER_STREAM` / `HASH_KEY_PREFIX` are set (then they apply to every target). Without
 * one, the settings' own single target, with their own keys (a library caller's hand-built
 * settings included).
 */
export function runTarget(settings: Settings, target?: { readonly stream: string; readonly group: string }): RunTarget {
  if (target === undefined) {
    return {
      stream: settings.streamName,
      group: settings.groupName,
      deadLetterStream: settings.deadLetterStream,
      hashKeyPrefix: settings.hashKeyPrefix,
    };
  }
  return { stream: target.stream, group: target.group, ...streamKeys(target.stream, settings.targets ?? {}) };
}

/** Values that must never appear in a message, log line, span or summary: every secret setting's. */
export function secretsOf(
  settings: Partial<Pick<Settings, 'redisPassword' | 'appInsightsConnectionString'>>,
): (string | undefined)[] {
  return [settings.redisPassword, settings.appInsightsConnectionString];
}

/** The same, from the raw environment, for messages written before (or without) valid settings. */
export function secretValues(env: Env): (string | undefined)[] {
  return SETTING_NAMES.filter((name) => (CHECKS[name] as Check).secret === true).map(
    (name) => env[name]?.trim() || undefined,
  );
}

/** How a Redis reply of this target's run (or read) is turned into one of our errors. */
export function replyContext(
  settings: Pick<Settings, 'redisHost' | 'redisPort' | 'redisPath'> &
    Partial<Pick<Settings, 'redisPassword' | 'appInsightsConnectionString'>>,
  target: { readonly stream: string; readonly group: string; readonly deadLetterStream?: string },
): ReplyContext {
  return {
    server: describeServer(settings),
    stream: target.stream,
    group: target.group,
    ...(target.deadLetterStream === undefined ? {} : { deadLetter: target.deadLetterStream }),
    secrets: secretsOf(settings),
  };
}
