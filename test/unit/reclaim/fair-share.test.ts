/**
 * The budget shared by several targets (src/reclaim/fair-share.ts), on a simulated clock: each
 * fake target does one unit of work per tick, and every tick of every running target moves the
 * one clock on, as targets sharing one process do. No Redis: the scheduling alone.
 */
import { describe, expect, it } from 'vitest';
import { shareBudget } from '../../../src/reclaim/fair-share';

interface Turn {
  name: string;
  done: number;
  turns: number;
  left: number;
}

interface Simulation {
  results: Turn[];
  clock: number;
  /** Most turns running at once, per shard and overall. */
  peak: Map<string, number>;
  peakAll: number;
}

async function simulate(
  sizes: Record<string, number>,
  options: { budget: number; perShard?: number; shards?: Record<string, string> },
): Promise<Simulation> {
  let clock = 0;
  const left = new Map(Object.entries(sizes));
  const running = new Map<string, number>();
  const peak = new Map<string, number>();
  let all = 0;
  let peakAll = 0;
  const shardOf = (name: string): string => options.shards?.[name] ?? 'one';
  const results = await shareBudget(Object.keys(sizes), {
    now: () => clock,
    deadline: options.budget,
    perShard: options.perShard ?? 4,
    shardOf,
    run: async (name, budgetMs) => {
      const shard = shardOf(name);
      running.set(shard, (running.get(shard) ?? 0) + 1);
      peak.set(shard, Math.max(peak.get(shard) ?? 0, running.get(shard) ?? 0));
      peakAll = Math.max(peakAll, ++all);
      const start = clock;
      let done = 0;
      while ((left.get(name) ?? 0) > 0 && clock - start < budgetMs) {
        await Promise.resolve();
        clock += 1;
        left.set(name, (left.get(name) ?? 0) - 1);
        done += 1;
      }
      running.set(shard, (running.get(shard) ?? 0) - 1);
      all -= 1;
      return { name, done, turns: 1, left: left.get(name) ?? 0 };
    },
    wantsMore: (t) => t.left > 0,
    merge: (a, b) => ({ ...b, done: a.done + b.done, turns: a.turns + b.turns }),
  });
  return { results, clock, peak, peakAll };
}

const range = (n: number, label: string): string[] => Array.from({ length: n }, (_, i) => `${label}${i}`);

describe('shareBudget', () => {
  it('fifty small targets all finish beside a huge one listed first; the huge one then gets the rest', async () => {
    const sizes = Object.fromEntries([['huge', 100_000], ...range(50, 's').map((s) => [s, 5] as const)]);
    const { results, clock } = await simulate(sizes, { budget: 2_000 });
    const [huge, ...small] = results;
    expect(small.map((t) => t.left)).toEqual(Array(50).fill(0));
    expect(results.map((t) => t.name)).toEqual(Object.keys(sizes));
    // No budget left idle while the huge target had work: it did all the ticks the small ones did not.
    expect(huge?.done).toBe(clock - 250);
    expect(clock).toBeGreaterThanOrEqual(2_000);
    expect(huge?.turns).toBeGreaterThan(1);
  });

  it('eight huge targets each get a turn, and a small one listed last still finishes', async () => {
    const sizes = Object.fromEntries([...range(8, 'h').map((h) => [h, 100_000] as const), ['small', 5]]);
    const { results } = await simulate(sizes, { budget: 4_000 });
    const huge = results.slice(0, 8);
    expect(results[8]).toMatchObject({ name: 'small', left: 0 });
    // An even split would be 500 ticks each; turns are whole shares, so allow half of that.
    for (const t of huge) expect(t.done, t.name).toBeGreaterThanOrEqual(4_000 / 8 / 2);
  });

  it('works shards at the same time, at most perShard turns on each', async () => {
    const names = [...range(6, 'a'), ...range(6, 'b'), ...range(6, 'c')];
    const sizes = Object.fromEntries(names.map((n) => [n, 1_000] as const));
    const shards = Object.fromEntries(names.map((n) => [n, n[0] as string]));
    const { peak, peakAll } = await simulate(sizes, { budget: 50_000, perShard: 2, shards });
    expect(Object.fromEntries(peak)).toEqual({ a: 2, b: 2, c: 2 });
    expect(peakAll).toBe(6);
  });

  it('covers everything when the budget allows, one turn each', async () => {
    const { results } = await simulate({ a: 30, b: 40, c: 50 }, { budget: 10_000 });
    expect(results.map((t) => [t.left, t.turns])).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
  });

  it('gives no turn past the deadline: a target with work left ends with its merged turns', async () => {
    const { results, clock } = await simulate({ a: 10_000, b: 10_000 }, { budget: 300 });
    expect(results.every((t) => t.left > 0)).toBe(true);
    expect(results.reduce((n, t) => n + t.done, 0)).toBe(clock);
    expect(clock).toBeLessThan(300 + 10);
  });

  it('a clock that never moves still ends once every target is covered', async () => {
    const results = await shareBudget(['x', 'y'], {
      now: () => 0,
      deadline: 1_000,
      perShard: 4,
      shardOf: () => 'one',
      run: async (name, budgetMs) => ({ name, budgetMs }),
      wantsMore: () => false,
      merge: (_a, b) => b,
    });
    expect(results).toEqual([
      { name: 'x', budgetMs: 1_000 },
      { name: 'y', budgetMs: 1_000 },
    ]);
  });
});
