/** Logging seam: the CLI and the function app each provide one; the core never prints. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const silentLogger: Logger = Object.freeze({ info() {}, warn() {}, error() {} });
