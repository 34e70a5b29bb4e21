/** What a CLI command may touch of its process, injectable so commands run in-process in tests. */
import { constants } from 'node:os';
import { SettingsError, UsageError } from '../errors';
import type { Logger, LogFields } from '../telemetry/logger';
import { connect, type RedisClient } from '../redis/connection';
import { processEnvironment, type Settings } from '../config/settings';

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

/** Connects, runs `work`, and always closes the connection. */
export async function withClient<T>(settings: Settings, work: (client: RedisClient) => Promise<T>): Promise<T> {
  const client = await connect(settings);
  try {
    return await work(client);
  } finally {
    client.disconnect();
  }
}
