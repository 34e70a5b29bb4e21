/**
 * `stream-reclaimer acl [--user NAME] [--operator] [--redis-version X.Y] [--azure]`: prints the
 * one-line `ACL SETUSER` command for the settings in effect, for the server's version (read from
 * INFO server, or given offline), with the literal `><password>` where the password goes; with
 * `--azure`, the same rule as an Azure access-policy permission string (no user, no password).
 */
import {
  aclKeys,
  aclSetuserCommand,
  azurePermissions,
  DEFAULT_ACL_USER,
  parseRedisVersion,
  widenedNames,
  type AclServer,
} from '../ops/acl';
import { serverVersion } from '../redis/connection';
import { UsageError } from '../errors';
import { CONNECTION_SETTINGS, loadSettings, type SettingName } from '../config/settings';
import { settingOverrides } from './run';
import { withClient, type CliIO } from './io';

export interface AclFlags {
  user?: string;
  operator?: boolean;
  redisVersion?: string;
  stream?: string;
  azure?: boolean;
}

/** What the ACL rule is built from: the keys it may touch and the commands the features need. */
const ACL_SETTINGS: readonly SettingName[] = [
  ...CONNECTION_SETTINGS,
  'STREAM_NAME',
  'STREAM_PATTERN',
  'DEAD_LETTER_STREAM',
  'HASH_KEY_PREFIX',
  'DEREGISTER_IDLE_SEC',
];

export async function aclCommand(flags: AclFlags, io: CliIO): Promise<number> {
  const user = flags.user ?? DEFAULT_ACL_USER;
  if (!/^[\x21-\x7e]{1,128}$/.test(user))
    throw new UsageError(`Expected \`--user\` to be 1 to 128 printable characters without spaces, got \`${user}\``);
  const offline = flags.redisVersion === undefined ? undefined : parseRedisVersion(flags.redisVersion);
  if (flags.redisVersion !== undefined && !offline) {
    throw new UsageError(
      `Expected \`--redis-version\` to be a version like 6.0 or 7.2.4, got \`${flags.redisVersion}\``,
    );
  }
  // Offline nothing connects, so the server's address is not needed.
  const offlineHost = offline && !io.env.REDIS_HOST ? { REDIS_HOST: 'localhost' } : {};
  // Groups do not change the rule (`*` lists them with XINFO GROUPS, which every run sends):
  // read as `*`, so the settings carry the streams (or the pattern) without needing a group.
  const settings = loadSettings(
    io.env,
    { ...settingOverrides(flags), ...offlineHost, STREAM_CONSUMER_GROUP_NAME: '*' },
    { use: ACL_SETTINGS },
  );
  aclKeys(settings); // a STREAM_PATTERN no rule can be derived from is a usage error, before connecting
  const server: AclServer = offline ?? (await withClient(settings, (client) => serverVersion(client), io));
  const widened = widenedNames(settings);
  if (widened.length > 0) {
    io.stderr(
      `note: ACL key patterns cannot hold whitespace; in the patterns for ${widened.join(', ')} each one is \`?\` (any one character)\n`,
    );
  }
  const operator = flags.operator === true;
  io.stdout(
    `${flags.azure ? azurePermissions(settings, server, operator) : aclSetuserCommand(settings, server, { user, operator })}\n`,
  );
  return 0;
}
