/**
 * Pages flow from the PEL scan to the page handlers through a small bounded buffer. Scanning
 * runs ahead of handling: on one connection, replies come back in order, so a scan sent after
 * the scripts in flight is answered only when they are done; with pages already buffered, the
 * next script is on its way before then and the server never waits for this process.
 */
import type { PendingEntry, ScanPage } from './scan';

export interface PipelineOptions {
  scan(cursor: string | undefined): Promise<ScanPage>;
  handle(entries: readonly PendingEntry[]): Promise<void>;
  /** Pages handled at once; also how many scanned pages may wait. */
  workers: number;
  /** True once no new page may be started (time budget spent, or aborted). */
  stop(): boolean;
  /** The first page's cursor (an earlier turn's end); the start of the PEL when undefined. */
  start?: string;
}

export interface PipelineResult {
  /** The whole PEL (from `start`) was covered. */
  complete: boolean;
  /** The last pending ID of the pages handled without a gap from the start: where a later turn resumes. */
  reached?: string;
}

/** Resolves with `complete: true` when the whole PEL was covered; rethrows the first failure. */
export async function pipelinePages(options: PipelineOptions): Promise<PipelineResult> {
  // Pages are handled out of order (several workers): only a gap-free prefix of them is covered.
  const buffer: { seq: number; entries: readonly PendingEntry[] }[] = [];
  const lasts: (string | undefined)[] = [];
  const handled: boolean[] = [];
  let prefix = 0;
  let reached: string | undefined;
  const markHandled = (seq: number): void => {
    handled[seq] = true;
    for (; handled[prefix]; prefix++) reached = lasts[prefix] ?? reached;
  };
  let scanning = true;
  let reachedEnd = false;
  let leftOver = false;
  let failure: unknown;
  const wakeWorkers: (() => void)[] = [];
  let wakeScanner: (() => void) | undefined;
  const notifyWorkers = (): void => {
    for (const wake of wakeWorkers.splice(0)) wake();
  };
  const notifyScanner = (): void => {
    wakeScanner?.();
    wakeScanner = undefined;
  };

  const scanner = async (): Promise<void> => {
    let cursor = options.start;
    try {
      while (failure === undefined && !options.stop()) {
        if (buffer.length >= options.workers) {
          await new Promise<void>((resolve) => (wakeScanner = resolve));
          continue;
        }
        const page = await options.scan(cursor);
        buffer.push({ seq: lasts.length, entries: page.entries });
        lasts.push(page.last);
        notifyWorkers();
        if (page.cursor === undefined) {
          reachedEnd = true;
          return;
        }
        cursor = page.cursor;
      }
    } catch (error) {
      failure ??= error;
    } finally {
      scanning = false;
      notifyWorkers();
    }
  };

  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      if (buffer.length > 0 && options.stop()) {
        // Scanned but not started: left pending for the next run. The scanner may be waiting
        // for room in the full buffer: wake it to see the stop, or the run never ends.
        leftOver = true;
        notifyScanner();
        return;
      }
      const page = buffer.shift();
      if (page === undefined) {
        if (!scanning) return;
        await new Promise<void>((resolve) => wakeWorkers.push(resolve));
        continue;
      }
      notifyScanner();
      try {
        await options.handle(page.entries);
        markHandled(page.seq);
      } catch (error) {
        failure ??= error;
        notifyScanner();
      }
    }
  };

  await Promise.all([scanner(), ...Array.from({ length: options.workers }, worker)]);
  if (failure !== undefined) throw failure;
  return { complete: reachedEnd && !leftOver && buffer.length === 0, reached };
}
