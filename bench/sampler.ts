/** Peak memory while a variant runs: this process's RSS and the server's used_memory. */
import type Redis from 'ioredis';

export interface Peaks {
  rssBytes: number;
  redisBytes: number;
}

export function startSampler(redis: Redis, everyMs = 20): { stop(): Promise<Peaks> } {
  const peaks: Peaks = { rssBytes: process.memoryUsage.rss(), redisBytes: 0 };
  let polling: Promise<void> = Promise.resolve();
  let ticks = 0;
  const timer = setInterval(() => {
    peaks.rssBytes = Math.max(peaks.rssBytes, process.memoryUsage.rss());
    // The server is polled less often: INFO competes with the run for the same connection pool.
    if (ticks++ % 10 === 0)
      polling = polling.then(() =>
        redisMemory(redis).then((b) => void (peaks.redisBytes = Math.max(peaks.redisBytes, b))),
      );
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await polling;
      peaks.rssBytes = Math.max(peaks.rssBytes, process.memoryUsage.rss());
      peaks.redisBytes = Math.max(peaks.redisBytes, await redisMemory(redis));
      return peaks;
    },
  };
}

export async function redisMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
}
