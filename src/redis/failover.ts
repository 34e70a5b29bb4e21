/**
 * Riding through a cluster failover. When a master dies, ioredis retries each command by
 * itself only until `maxRedirections` (about 3 s of "Connection is closed", MOVED back to the
 * dead node and CLUSTERDOWN). A replica takes over after `cluster-node-timeout` plus an
 * election: seconds on managed services, tens of seconds at worst. So a run wraps its cluster
 * client: a command that fails that way is sent again, with backoff, until it succeeds or the
 * run's time budget is spent, and the run says which node is gone and that it is waiting.
 *
 * Re-sending is safe: every script is fenced or idempotent, and the plain commands are reads
 * (ioredis itself re-sends commands in flight when a connection drops; see connection.ts).
 */
import { Cluster } from 'ioredis';
import { NodeUnavailableError } from '../errors';
import type { Logger } from '../telemetry/logger';

export interface FailoverOptions {
  /** Epoch ms after which no command is sent again: the run's budget. */
  deadline: number;
  now: () => number;
  logger: Logger;
  /** The run's interruption: waiting for a node stops with it, whatever budget is left. */
  signal?: AbortSignal;
  /** Backoff between attempts: first and largest delay, ms. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** Most attempts of one command: a bound besides the deadline, whatever the clock does. */
const MAX_ATTEMPTS = 200;
/** One warning per node per this many ms, however many commands wait on it. */
const WARN_EVERY_MS = 5_000;

/** Errors a failover causes (a node gone, the cluster down until a replica is promoted). */
export function isFailoverError(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${(error as { code?: string }).code ?? ''}` : String(error);
  return /Too many Cluster redirections|Connection is closed|CLUSTERDOWN|max retries per request|ECONNREFUSED|ECONNRESET|EPIPE|Failed to refresh slots cache/i.test(
    text,
  );
}

/**
 * The client as the run uses it: on a cluster, every command that returns a promise is retried
 * through a failover; a single server's client is returned as is (its reconnects are bounded in
 * connection.ts). `release()` stops listening to the cluster's node errors.
 */
export function rideFailovers<C extends object>(
  client: C,
  options: FailoverOptions,
): { client: C; release: () => void } {
  if (!(client instanceof Cluster)) return { client, release: () => undefined };
  const gone = new Map<string, { error: string; at: number }>();
  const lastWarned = new Map<string, number>();
  const warn = (node: string, error: string): void => {
    const now = options.now();
    if (now - (lastWarned.get(node) ?? -Infinity) < WARN_EVERY_MS) return;
    lastWarned.set(node, now);
    options.logger.warn(`Redis node ${node} is unreachable; waiting for the cluster to fail over`, {
      node,
      error,
      budgetLeftSec: Math.max(0, Math.round((options.deadline - now) / 1000)),
    });
  };
  // Masters as the client's slot map has them: the nodes whose loss makes commands wait.
  const isMaster = (key: string): boolean => client.slots.some((nodes) => nodes?.[0] === key);
  // Said as soon as a master fails (its connection ends, or a reconnect is refused), even when
  // ioredis's own retries outlast a quick failover and no command fails here.
  const lost = (key: string, error: string): void => {
    gone.set(key, { error, at: options.now() });
    if (isMaster(key)) warn(key, error);
  };
  const onNodeError = (error: Error, key: string): void => lost(key, error.message);
  const onNodeEnd = (redis: { options: { host?: string; port?: number } }): void =>
    lost(`${redis.options.host}:${redis.options.port}`, 'its connection closed');
  client.on('node error', onNodeError);
  client.on('-node', onNodeEnd);

  /** The node that failed last, a master of the slot map first (a dead replica makes nothing wait). */
  const goneNode = (): { node: string; error: string } | undefined => {
    let latest: [string, { error: string; at: number }] | undefined;
    const rank = ([key, { at }]: [string, { at: number }]): [number, number] => [isMaster(key) ? 1 : 0, at];
    for (const entry of gone) {
      const [m, at] = rank(entry);
      if (!latest || m > rank(latest)[0] || (m === rank(latest)[0] && at >= latest[1].at)) latest = entry;
    }
    return latest && { node: latest[0], error: latest[1].error };
  };

  const retrying = async (send: () => Promise<unknown>, first: Promise<unknown>): Promise<unknown> => {
    const started = options.now();
    let attempt = 0;
    let pending = first;
    for (;;) {
      try {
        return await pending;
      } catch (error) {
        if (!isFailoverError(error)) throw error;
        attempt++;
        const delay = Math.min(
          options.maxDelayMs ?? 2_000,
          (options.minDelayMs ?? 100) * 2 ** Math.min(attempt - 1, 10),
        );
        const node = goneNode();
        const name = node?.node ?? 'a cluster node';
        const reason = node?.error ?? (error as Error).message;
        const waited = (): string =>
          `Redis node ${name} stayed unreachable for ${Math.round((options.now() - started) / 1000)} s`;
        if (options.signal?.aborted) {
          throw new NodeUnavailableError(
            `${waited()}; the run was interrupted while waiting for a failover. Last error: ${reason}`,
            name,
          );
        }
        if (attempt >= MAX_ATTEMPTS || options.now() + delay > options.deadline) {
          throw new NodeUnavailableError(
            `${waited()}, past the run's time budget (MAX_RUN_SEC); no replica took over. Last error: ${reason}`,
            name,
          );
        }
        warn(name, reason);
        await sleep(delay, options.signal);
        pending = send();
      }
    }
  };

  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const send = (): unknown => (value as (...a: unknown[]) => unknown).apply(target, args);
        const result = send();
        // Only commands (promises) are retried; sync helpers (pipeline(), nodes(), on()) pass through.
        return result instanceof Promise ? retrying(send as () => Promise<unknown>, result) : result;
      };
    },
  });
  const release = (): void => {
    client.off('node error', onNodeError);
    client.off('-node', onNodeEnd);
  };
  return { client: proxy, release };
}

/** Waits `ms`, or less when `signal` fires first (the next attempt then sees it and stops). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
