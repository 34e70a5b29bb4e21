/**
 * The general path's page pipeline, stopped while its buffer is full: the scanner waits for room,
 * every worker leaves on the stop, and the run must still end (it used to wait forever).
 */
import { describe, expect, it } from 'vitest';
import { pipelinePages } from '../../../src/reclaim/pipeline';
import type { PendingEntry } from '../../../src/reclaim/scan';

const entry = (id: string): PendingEntry => ({ id, consumer: 'crashed', idleMs: 600_000, deliveries: 1 });
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('pipelinePages', () => {
  it(
    'ends, incomplete, when stopped while the scanner waits for room in a full buffer',
    { timeout: 5_000 },
    async () => {
      let scans = 0;
      let stopped = false;
      const handled: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));

      const run = pipelinePages({
        workers: 2,
        stop: () => stopped,
        // An endless PEL: every page has a next one.
        scan: async () => {
          scans++;
          return { entries: [entry(`${scans}-0`)], cursor: String(scans) };
        },
        handle: async (entries) => {
          await gate;
          handled.push(...entries.map((e) => e.id));
        },
      });
      await settle();
      // Two pages in the workers' hands, two buffered: the scanner now waits for room.
      expect(scans).toBe(4);

      stopped = true;
      release();

      await expect(run).resolves.toEqual({ complete: false });
      expect(handled.sort()).toEqual(['1-0', '2-0']);
    },
  );
});

/** A PEL of `pages` pages of one entry each. */
const pagedScan = (pages: number) => async (cursor: string | undefined) => {
  const n = cursor === undefined ? 1 : Number(cursor);
  return { entries: [entry(`${n}-0`)], cursor: n < pages ? String(n + 1) : undefined };
};

describe('pipelinePages, running', () => {
  it('hands every page to a worker, at most `workers` at once, and reports the PEL covered', async () => {
    let active = 0;
    let peak = 0;
    const handled: string[] = [];
    const result = await pipelinePages({
      workers: 2,
      stop: () => false,
      scan: pagedScan(7),
      handle: async (entries) => {
        active++;
        peak = Math.max(peak, active);
        await settle();
        handled.push(...entries.map((e) => e.id));
        active--;
      },
    });
    expect(result).toEqual({ complete: true });
    expect(handled.sort()).toEqual(['1-0', '2-0', '3-0', '4-0', '5-0', '6-0', '7-0']);
    expect(peak).toBe(2);
  });

  it('an empty PEL: one empty page, covered', async () => {
    const pages: number[] = [];
    const result = await pipelinePages({
      workers: 2,
      stop: () => false,
      scan: async () => ({ entries: [], cursor: undefined }),
      handle: async (entries) => void pages.push(entries.length),
    });
    expect(result).toEqual({ complete: true });
    expect(pages).toEqual([0]);
  });

  it('rethrows the first failure of a handler, and of the scan', async () => {
    await expect(
      pipelinePages({
        workers: 2,
        stop: () => false,
        scan: pagedScan(5),
        handle: async (entries) => {
          if (entries[0]?.id === '2-0') throw new Error('handler failed');
        },
      }),
    ).rejects.toThrow('handler failed');
    await expect(
      pipelinePages({
        workers: 2,
        stop: () => false,
        scan: async () => Promise.reject(new Error('scan failed')),
        handle: async () => undefined,
      }),
    ).rejects.toThrow('scan failed');
  });

  it('stopped before it starts: nothing scanned, not complete', async () => {
    let scans = 0;
    const result = await pipelinePages({
      workers: 2,
      stop: () => true,
      scan: async () => (scans++, { entries: [], cursor: undefined }),
      handle: async () => undefined,
    });
    expect(result).toEqual({ complete: false });
    expect(scans).toBe(0);
  });
});
