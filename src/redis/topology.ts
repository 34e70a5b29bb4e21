/**
 * Whether a connection's endpoint refuses a script or `MULTI` whose keys lie in several hash
 * slots. A Redis Cluster client always knows it does. A plain connection may still reach an
 * endpoint that shards behind a proxy (Azure Managed Redis under the Enterprise clustering
 * policy): it looks like a single server, answers `CROSSSLOT` to such a script and refuses
 * `CLUSTER`, so slots are computed here, locally.
 *
 * The answer is learnt once per client and kept for every later run on it: stated by
 * `REDIS_CLUSTER=proxy` (`declareSharded`), or found by sending, before the first step whose keys
 * span slots, a script that reads and writes nothing over those keys. The server refuses
 * `CROSSSLOT` while it looks up the keys' slots, before running anything, so the probe changes
 * nothing either way, and no real step is ever sent to be refused.
 */
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import type { RedisClient } from './client';
import type { Keys } from './keys';

/** Touches nothing: only its declared keys matter. */
const PROBE = 'return 1';

const learnt = new WeakMap<object, Promise<boolean>>();

/** The settings say the endpoint shards (`REDIS_CLUSTER=proxy`): it is never probed. */
export function declareSharded(client: RedisClient): void {
  learnt.set(client, Promise.resolve(true));
}

/** A refusal of keys in several slots, from a cluster node or a sharding proxy. */
export function isCrossSlot(error: unknown): boolean {
  return error instanceof Error && /^CROSSSLOT\b/.test(error.message);
}

/**
 * True when a step over `keys` must be split so that none spans two slots. `onFound` runs once
 * per client, when the probe first meets a refusal (the caller warns then).
 */
export function splitsSlots(client: RedisClient, keys: readonly string[], onFound: () => void): Promise<boolean> {
  if (client instanceof Cluster) return Promise.resolve(true);
  const known = learnt.get(client);
  if (known) return known;
  const pair = twoSlots(keys);
  if (pair === undefined) return Promise.resolve(false);
  const probe = client.eval(PROBE, 2, ...pair).then(
    () => false,
    (error: unknown) => {
      // Any other failure (connection lost, an ACL without EVAL) decides nothing: the run goes
      // on as on a single server, whose next command reports a lasting problem itself, and the
      // next run asks again.
      learnt.delete(client);
      if (!isCrossSlot(error)) return false;
      learnt.set(client, Promise.resolve(true));
      onFound();
      return true;
    },
  );
  learnt.set(client, probe);
  return probe;
}

/** Two of the keys in different slots, or undefined when they all share one. */
function twoSlots(keys: readonly string[]): [string, string] | undefined {
  const [first, ...rest] = keys;
  if (first === undefined) return undefined;
  const other = rest.find((key) => calculateSlot(key) !== calculateSlot(first));
  return other === undefined ? undefined : [first, other];
}

/**
 * The keys a run's steps touch: the stream, the dead-letter stream and a hash key in another
 * slot than the stream when the prefix lets one be (hash keys are derived from entries, so any
 * slot the prefix allows may come up).
 */
export function runKeys(keys: Pick<Keys, 'stream' | 'deadLetter' | 'hashPrefix'>): string[] {
  const slot = calculateSlot(keys.stream);
  let hashKey = `${keys.hashPrefix}0`;
  // A tagged prefix fixes the slot, so a few tries suffice to see it; untagged, the second try almost always differs.
  for (let i = 1; i < 8 && calculateSlot(hashKey) === slot; i++) hashKey = `${keys.hashPrefix}${i}`;
  return [keys.stream, keys.deadLetter, hashKey];
}
