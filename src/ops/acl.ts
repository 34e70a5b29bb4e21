/**
 * The least-privilege `ACL SETUSER` rule for the settings in effect, for one server version.
 * Pure: no I/O; `stream-reclaimer acl` (src/cli/acl.ts) reads the version and prints the rule.
 *
 * Every command below is one the code sends (directly, in a Lua script — Redis checks a
 * script's commands and declared keys against the same rule — or from ioredis on connect).
 * Keys are plain `~pattern` (read and write): the scripts declare the dead-letter stream and
 * the hash keys, and EVAL needs both permissions on every declared key (7.0's `%R~`/`%W~`
 * would not narrow anything the reclaimer actually uses).
 */
import { aclKeys, type AclKeySettings } from './acl-keys';

export { aclKeys, exactKey, widenedNames, type AclKeySettings } from './acl-keys';

export interface AclServer {
  readonly name: 'redis' | 'valkey';
  readonly version: readonly [number, number, number];
}

export interface AclSettings extends AclKeySettings {
  readonly redisCluster: boolean;
  /** Consumer clean-up on: the script reads XINFO CONSUMERS and runs XGROUP DELCONSUMER. */
  readonly deregisterIdleMs: number | undefined;
}

export interface AclOptions {
  readonly user: string;
  /** Add what `stats` and `dlq list|replay|purge` need. */
  readonly operator: boolean;
}

export const DEFAULT_ACL_USER = 'reclaimer';
export const PASSWORD_PLACEHOLDER = '><password>';

/** True when the server has what Redis `major.minor` introduced (Valkey 7.2+ has all of 7.2). */
export function supports(server: AclServer, major: number, minor: number): boolean {
  const [ma, mi] =
    server.name === 'valkey'
      ? [Math.max(server.version[0], 7), server.version[0] >= 8 ? 2 : server.version[1]]
      : server.version;
  return ma > major || (ma === major && mi >= minor);
}

/**
 * `CLIENT SETINFO`, which ioredis sends on every connect: needs `+client|setinfo` from 7.2 (it
 * exists) and before 7.0 (the server checks the ACL before it finds the subcommand unknown, and
 * accepts any subcommand name in a rule); 7.0 and 7.1 reject the rule and answer the command
 * "unknown subcommand" without an ACL check.
 */
function clientSetinfo(server: AclServer): string[] {
  return supports(server, 7, 2) || !supports(server, 7, 0) ? ['+client|setinfo'] : [];
}

/** The commands, least privilege first: what a run and the deployed app's status function send. */
export function aclCommands(settings: AclSettings, server: AclServer, operator: boolean): string[] {
  const commands = [
    // On connect: ioredis names the connection, tags it, and checks readiness with INFO; PING proves the login.
    '+ping',
    '+info',
    '+client|setname',
    ...clientSetinfo(server),
    // A run: the group exists (XINFO GROUPS), the dead-letter key is a stream before anything is
    // written (TYPE), the PEL (XPENDING), its scripts (EVALSHA, or EVAL once per script after a
    // restart), the health gauges (XLEN), the status function (XINFO CONSUMERS, XREVRANGE).
    '+xinfo|groups',
    '+xinfo|consumers',
    '+type',
    '+xpending',
    '+xlen',
    '+xrevrange',
    '+evalsha',
    '+eval',
    // Inside the scripts (and in two steps, for cluster keys without one hash tag).
    '+xclaim',
    '+xrange',
    '+xack',
    '+xadd',
    '+hset',
    // A record too wide for one Lua call: XADD and a commit script in one MULTI; the commit
    // deletes the record again (XDEL) when the fence fails (src/redis/wide.ts).
    '+multi',
    '+exec',
    '+xdel',
  ];
  // STREAM_PATTERN: the run finds its streams with SCAN … MATCH … TYPE stream on every master.
  if (settings.targets !== undefined && 'pattern' in settings.targets) commands.push('+scan');
  if (settings.deregisterIdleMs !== undefined) commands.push('+xgroup|delconsumer');
  // ioredis's cluster client reads the slot map and checks the cluster's state.
  if (settings.redisCluster) commands.push('+cluster|slots', '+cluster|info');
  // dlq purge --older-than reads the server's clock; its XDEL and dlq replay's scripts are above.
  if (operator) commands.push('+time');
  return commands;
}

/** The rule's words after `ACL SETUSER <user>`, the password as the literal placeholder. */
export function aclRule(settings: AclSettings, server: AclServer, options: AclOptions): string[] {
  // `reset` first: nothing the user had before survives. Channels: pub/sub is never used; the
  // rule exists from 6.2 (and 6.2's `reset` grants every channel by default); 6.0 has none.
  const channels = supports(server, 6, 2) ? ['resetchannels'] : [];
  return [
    'reset',
    'on',
    PASSWORD_PLACEHOLDER,
    ...aclKeys(settings),
    ...channels,
    '-@all',
    ...aclCommands(settings, server, options.operator),
  ];
}

/**
 * The same rule as an Azure access-policy permission string: the commands, the key patterns and
 * (from 6.2) no channel, space-separated, with no user, password or `on`. Azure Cache for Redis
 * (Basic/Standard/Premium) takes it as a custom data access policy's permissions, Azure Managed
 * Redis as a custom access string on an access policy assignment; Azure names the user (the
 * Entra identity) and signs it in. Words are unquoted: key patterns never hold whitespace
 * (acl-keys.ts) and the portal takes the string as typed.
 */
export function azurePermissions(settings: AclSettings, server: AclServer, operator: boolean): string {
  const channels = supports(server, 6, 2) ? ['resetchannels'] : [];
  return ['-@all', ...aclCommands(settings, server, operator), ...aclKeys(settings), ...channels].join(' ');
}

/** The whole command, one line, each word quoted for redis-cli when it needs it. */
export function aclSetuserCommand(settings: AclSettings, server: AclServer, options: AclOptions): string {
  return ['ACL', 'SETUSER', options.user, ...aclRule(settings, server, options)].map(quoteArg).join(' ');
}

/**
 * A word as redis-cli reads it: bare when it is plain printable ASCII, else in double quotes
 * with `"` and `\` escaped and other bytes as `\xHH` (redis-cli decodes those inside quotes).
 */
export function quoteArg(word: string): string {
  if (/^[!#-&(-~]+$/.test(word)) return word;
  const bytes = Buffer.from(word, 'utf8');
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** `6.0`, `7.2.4` → a Redis-compatible version; undefined when the text is not one. */
export function parseRedisVersion(text: string): AclServer | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})(?:\.(\d{1,5}))?$/.exec(text.trim());
  if (!match) return undefined;
  return { name: 'redis', version: [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] };
}
