/**
 * The fast path's loop (src/reclaim/fast-path.ts) over a fake page script and an in-memory PEL:
 * coverage from the furthest finished position, scripts in flight, the stop, a failure.
 */
import { describe, expect, it } from 'vitest';
import { runFastPath, type FastPathContext, type FastPathOptions } from '../../../src/reclaim/fast-path';
import { zeroCounts, type Counts } from '../../../src/reclaim/counts';
import { compareIds, nextId } from '../../../src/reclaim/scan';
import type { ReclaimPageReply } from '../../../src/redis/reclaim-page';
import { buildKeys } from '../../../src/redis/keys';
import type { RedisClient } from '../../../src/redis/client';

const ctx: FastPathContext = {
  client: {} as RedisClient,
  keys: buildKeys({ streamName: 's', deadLetterStream: 's:dlq', hashKeyPrefix: 'h:' }),
  group: 'g',
  now: () => 0,
  minIdleMs: 0,
  maxDeliveries: 5,
  hashKeyField: '',
  checkSlot: false,
};

/** A PEL of IDs `1-0` … `n-0`; each page script settles (removes) what it scans, as reclaim-page.lua does. */
function fakeScript(n: number, options: { delayMs?: number; failOn?: number } = {}) {
  const pel = Array.from({ length: n }, (_, i) => `${i + 1}-0`);
  const starts: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let calls = 0;
  const script: NonNullable<FastPathOptions['script']> = async (_client, _keys, args) => {
    const call = ++calls;
    starts.push(args.start);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 1));
      if (options.failOn === call) throw new Error('script failed');
      const from = args.start === '-' ? undefined : args.start;
      // '(id' is exclusive (6.2+); a bare ID inclusive (6.0).
      const after = (id: string): boolean =>
        from === undefined
          ? true
          : from.startsWith('(')
            ? compareIds(id, from.slice(1)) > 0
            : compareIds(id, from) >= 0;
      const page = pel.filter(after).slice(0, args.count);
      for (const id of page) pel.splice(pel.indexOf(id), 1);
      const reply: ReclaimPageReply = {
        scanned: page.length,
        claimed: page.length,
        processed: page.length,
        deadLettered: 0,
        orphaned: 0,
        failed: 0,
        wide: [],
        deferred: 0,
        requeued: 0,
        last: page.length < args.count ? undefined : page.at(-1),
      };
      return reply;
    } finally {
      inFlight--;
    }
  };
  return { script, pel, starts, maxInFlight: () => maxInFlight };
}

async function run(
  fake: ReturnType<typeof fakeScript>,
  options: Partial<FastPathOptions> = {},
): Promise<{ complete: boolean; counts: Counts }> {
  const counts = zeroCounts();
  const { complete } = await runFastPath(ctx, {
    strategy: 'redis7',
    pageSize: 10,
    depth: 3,
    stop: () => false,
    page: (work) => work(counts),
    script: fake.script,
    ...options,
  });
  return { complete, counts };
}

describe('runFastPath', () => {
  it('covers the whole PEL once, with up to `depth` scripts in flight', async () => {
    const fake = fakeScript(95);
    const { complete, counts } = await run(fake);
    expect(complete).toBe(true);
    expect(fake.pel).toEqual([]);
    expect(counts.processed).toBe(95);
    expect(counts.scanned).toBe(95);
    expect(fake.maxInFlight()).toBe(3);
    expect(fake.starts[0]).toBe('-');
    expect(fake.starts.filter((s) => s !== '-').every((s) => s.startsWith('('))).toBe(true);
  });

  it('on Redis 6.0 starts at the ID after the furthest one (no exclusive ranges)', async () => {
    const fake = fakeScript(25);
    const { complete, counts } = await run(fake, { strategy: 'redis6.0', depth: 1 });
    expect(complete).toBe(true);
    expect(counts.processed).toBe(25);
    expect(fake.starts).toEqual(['-', nextId('10-0'), nextId('20-0')]);
  });

  it('an empty PEL is covered; scripts sent before the first reply find it empty too', async () => {
    const fake = fakeScript(0);
    expect((await run(fake)).complete).toBe(true);
    expect(fake.starts).toEqual(['-', '-', '-']);
  });

  it('stops starting scripts once stop() says so; the PEL is not complete', async () => {
    const fake = fakeScript(100);
    let pages = 0;
    const counts = zeroCounts();
    const { complete } = await runFastPath(ctx, {
      strategy: 'redis7',
      pageSize: 10,
      depth: 1,
      stop: () => pages >= 2,
      page: async (work) => {
        pages++;
        await work(counts);
      },
      script: fake.script,
    });
    expect(complete).toBe(false);
    expect(counts.processed).toBe(20);
    expect(fake.pel).toHaveLength(80);
  });

  it('rethrows the first failure after the scripts in flight settle', async () => {
    const fake = fakeScript(100, { failOn: 2 });
    await expect(run(fake)).rejects.toThrow('script failed');
  });
});
