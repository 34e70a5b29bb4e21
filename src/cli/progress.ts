/**
 * Progress bars on stderr whenever stderr is a terminal (`run | tee` still shows one), never
 * with `--json`. While a bar is shown, lines written to stderr go above it, not onto it.
 */
import type { MultiBar } from 'cli-progress';
import type { CliIO } from './io';

type CliProgress = { MultiBar: typeof MultiBar };

export interface Progress {
  /** Moves the bar to `done`; `fields` fill the format's other `{name}` tokens. */
  update(done: number, fields?: Readonly<Record<string, string | number>>): void;
  /** A line printed above the bar (a target that finished), the bar redrawn below it. */
  log(line: string): void;
  stop(): void;
}

/** A bar counting to `total`, or undefined when there is no terminal, `--json`, or nothing to count. */
export function startProgress(
  io: CliIO,
  json: boolean | undefined,
  format: string,
  total: number,
  fields: Readonly<Record<string, string | number>> = {},
): Progress | undefined {
  const terminal = io.terminal;
  // An empty PEL would draw a full bar (0/0) that says nothing.
  if (!terminal || json || total < 1) return undefined;
  // Loaded only for a terminal (a chunk of its own in the build): a pipe or cron never reads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MultiBar: Bars } = require('cli-progress') as CliProgress;
  const bars = new Bars({
    format,
    hideCursor: true,
    stream: terminal.stream,
    gracefulExit: false,
    clearOnComplete: false,
  });
  const bar = bars.create(total, 0, fields);
  const above = (text: string): void => {
    // MultiBar writes buffered log lines above the bar on its next render.
    bars.log(text.endsWith('\n') ? text : `${text}\n`);
    bars.update();
  };
  terminal.routeStderr(above);
  let stopped = false;
  return {
    update: (done, more) => bar.update(done, more),
    log: (line) => {
      if (!stopped) above(line);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bars.update();
      bars.stop();
      terminal.routeStderr(undefined);
    },
  };
}
