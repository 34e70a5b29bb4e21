/** Logging seam: the CLI and the function app each provide one; the core never prints. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const silentLogger: Logger = Object.freeze({ info() {}, warn() {}, error() {} });

/**
 * `logger` with `fields` added to every line (a line's own fields win): a run's lines each name
 * its stream and group, which a run over several targets needs to tell its lines apart.
 */
export function withFields(logger: Logger, fields: LogFields): Logger {
  return {
    info: (message, own) => logger.info(message, { ...fields, ...own }),
    warn: (message, own) => logger.warn(message, { ...fields, ...own }),
    error: (message, own) => logger.error(message, { ...fields, ...own }),
  };
}
