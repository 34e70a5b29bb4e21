/**
 * How several targets share one run's budget. Each target starts with a fair share of what is
 * left (the time left, divided among the targets still waiting on its shard, a few at a time);
 * a target that spends its share without covering its PEL goes to the back of the queue and
 * runs again, from what is left once the others have had theirs. So fifty small targets all
 * finish beside a huge one, eight huge ones each get a turn, and no budget is left unused while
 * a target still has work. Shards (cluster masters) are separate queues, worked at the same time.
 *
 * Pure scheduling: the caller supplies the runs, the clock and the shard of each item.
 */

export interface FairShareOptions<T, R> {
  /** Epoch ms; injected in tests. */
  now: () => number;
  deadline: number;
  /** Runs of one shard at once. */
  perShard: number;
  /** The shard an item lives on (a cluster master); one value on a single server. */
  shardOf: (item: T) => string;
  /** One turn of an item, spending at most `budgetMs`. */
  run: (item: T, budgetMs: number) => Promise<R>;
  /** True when a turn ended on its budget with work left, so the item is worth another turn. */
  wantsMore: (result: R) => boolean;
  /** One result from an item's turns, in order. */
  merge: (earlier: R, later: R) => R;
  /** An item that will not run again, with its merged result (progress display). */
  onDone?: (item: T, result: R) => void;
}

/** Every item's merged result, in input order. */
export async function shareBudget<T, R>(items: readonly T[], options: FairShareOptions<T, R>): Promise<R[]> {
  const results = new Array<R | undefined>(items.length);
  const queues = new Map<string, number[]>();
  items.forEach((item, index) => {
    const shard = options.shardOf(item);
    queues.set(shard, [...(queues.get(shard) ?? []), index]);
  });
  await Promise.all([...queues.values()].map((queue) => drainShard(items, queue, results, options)));
  return results as R[];
}

/** Up to `perShard` runners take items off the shard's queue; an unfinished item rejoins at the back. */
async function drainShard<T, R>(
  items: readonly T[],
  queue: number[],
  results: (R | undefined)[],
  options: FairShareOptions<T, R>,
): Promise<void> {
  const { now, deadline, perShard } = options;
  const runner = async (): Promise<void> => {
    for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
      const left = Math.max(0, deadline - now());
      // This item and the ones still waiting share what is left, `perShard` at a time.
      const rounds = Math.ceil((queue.length + 1) / perShard);
      const share = left > 0 ? Math.max(1, Math.floor(left / rounds)) : 0;
      const result = await options.run(items[index] as T, share);
      const earlier = results[index];
      const merged = earlier === undefined ? result : options.merge(earlier, result);
      results[index] = merged;
      if (options.wantsMore(result) && deadline - now() > 0) queue.push(index);
      else options.onDone?.(items[index] as T, merged);
    }
  };
  await Promise.all(Array.from({ length: Math.min(perShard, queue.length) }, runner));
}
