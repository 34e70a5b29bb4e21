/** What a CLI command may touch of its process, injectable so commands run in-process in tests. */
import { constants } from 'node:os';
import { MissingGroupError, MissingStreamError, SettingsError, UsageError } from '../errors';
import type { Logger, LogFields } from '../telemetry/logger';
import type { RedisClient } from '../redis/connection';
import { describeServer, processEnvironment, type Settings } from '../config/settings';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** True when stdout is a terminal: human output; false when piped. */
  isTTY: boolean;
  /** Set when stderr is a terminal: where progress bars are drawn (src/cli/progress.ts). */
  terminal?: Terminal;
  /** Registers a handler for Ctrl-C / SIGTERM, told which one came; returns a function that removes it. */
  onInterrupt: (handler: (signal: InterruptSignal) => void) => () => void;
}

export interface Terminal {
  stream: NodeJS.WritableStream;
  /** Sends what `stderr` is given to `to` while a bar is drawn; undefined restores it. */
  routeStderr(to: ((text: string) => void) | undefined): void;
}

export type InterruptSignal = 'SIGINT' | 'SIGTERM';
const INTERRUPTS: readonly InterruptSignal[] = ['SIGINT', 'SIGTERM'];

/** The shell's convention for a process ended by a signal: 128 + its number (130, 143). */
export const interruptExitCode = (signal: InterruptSignal): number => 128 + constants.signals[signal];

export function processIO(): CliIO {
  let route: ((text: string) => void) | undefined;
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => (route ? route(text) : process.stderr.write(text)),
    env: processEnvironment(),
    isTTY: process.stdout.isTTY === true,
    terminal: process.stderr.isTTY ? { stream: process.stderr, routeStderr: (to) => (route = to) } : undefined,
    onInterrupt(handler) {
      const listeners = INTERRUPTS.map((signal) => [signal, () => handler(signal)] as const);
      for (const [signal, listener] of listeners) process.on(signal, listener);
      return () => {
        for (const [signal, listener] of listeners) process.off(signal, listener);
      };
    },
  };
}

/** Log lines go to stderr, so stdout stays one JSON document when `--json` is used. */
export function stderrLogger(io: CliIO): Logger {
  const line = (level: string, message: string, fields: LogFields = {}): void => {
    const extra = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    io.stderr(`${level}: ${message}${extra ? ` ${extra}` : ''}\n`);
  };
  return {
    info: (m, f) => line('info', m, f),
    warn: (m, f) => line('warn', m, f),
    error: (m, f) => line('error', m, f),
  };
}

/** Exit code for an error: 2 for configuration or usage, 1 for everything else. */
export function exitCodeFor(error: unknown): 1 | 2 {
  return error instanceof SettingsError || error instanceof UsageError ? 2 : 1;
}

/** Connects, runs `work`, and always closes the connection; notes about the connection go to `io`. */
export async function withClient<T>(
  settings: Settings,
  work: (client: RedisClient) => Promise<T>,
  io?: CliIO,
): Promise<T> {
  // Imported here, not at the top: the help and usage errors never load the Redis client.
  const { connect } = await import('../redis/connection');
  const client = await connect(settings, undefined, io && ((message) => io.stderr(`warning: ${message}\n`)));
  try {
    return await work(client);
  } catch (error) {
    throw error instanceof MissingGroupError && !(error instanceof MissingStreamError)
      ? await whichIsMissing(client, settings, error)
      : error;
  } finally {
    client.disconnect();
  }
}

/** NOGROUP means the stream or the group is missing; the operator fixes a different setting for each. */
async function whichIsMissing(client: RedisClient, settings: Settings, error: MissingGroupError): Promise<Error> {
  const { streamName: stream, groupName: group } = settings;
  const where = describeServer(settings);
  try {
    if ((await client.type(stream)) === 'none') {
      return new MissingStreamError(
        `Stream \`${stream}\` does not exist on ${where}: check \`STREAM_NAME\` (or \`--stream\`)`,
      );
    }
    const groups = ((await client.xinfo('GROUPS', stream)) as unknown[][]).map((g) => String(g[1]));
    if (groups.includes(group)) return error;
    const known = groups.length ? `its groups: ${groups.join(', ')}` : 'it has no groups';
    return new MissingGroupError(
      `Stream \`${stream}\` on ${where} has no consumer group \`${group}\` (${known}): check \`STREAM_CONSUMER_GROUP_NAME\` (or \`--group\`), or create it with XGROUP CREATE ${stream} ${group} $`,
    );
  } catch {
    return error;
  }
}
