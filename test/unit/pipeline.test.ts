/**
 * The general path's page pipeline, stopped while its buffer is full: the scanner waits for room,
 * every worker leaves on the stop, and the run must still end (it used to wait forever).
 */
import { describe, expect, it } from 'vitest';
import { pipelinePages } from '../../src/reclaim/pipeline';
import type { PendingEntry } from '../../src/reclaim/scan';

const entry = (id: string): PendingEntry => ({ id, consumer: 'crashed', idleMs: 600_000, deliveries: 1 });
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('pipelinePages', () => {
  it('ends, incomplete, when stopped while the scanner waits for room in a full buffer', { timeout: 5_000 }, async () => {
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
  });
});
