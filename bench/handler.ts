/**
 * The function handler's per-invocation overhead: the built Functions app loaded with the worker
 * stand-in, its timer invoked repeatedly on an empty group. After the first invocation
 * (settings parsed, connection opened) each one reuses both; what remains is the handler plus
 * a run that finds nothing (a few round trips).
 */
import type Redis from 'ioredis';
import { functionsMainFile, provideAppSettings } from '../src/local/functions-app';
import { loadFunctionsApp } from '../src/local/worker-standin';

const INVOCATIONS = 200;

export interface HandlerTimes {
  invocations: number;
  firstMs: number;
  medianMs: number;
  p95Ms: number;
}

/** `connection`: the app settings that reach the server (REDIS_HOST and the like). */
export async function measureHandler(connection: Record<string, string>, redis: Redis): Promise<HandlerTimes> {
  const stream = 'bench:handler';
  await redis.xgroup('CREATE', stream, 'handler-group', '$', 'MKSTREAM');
  provideAppSettings({ ...connection, STREAM_NAME: stream, STREAM_CONSUMER_GROUP_NAME: 'handler-group' });
  const app = await loadFunctionsApp(functionsMainFile(__dirname));
  const times: number[] = [];
  try {
    for (let i = 0; i < INVOCATIONS; i++) {
      const started = performance.now();
      await app.invokeTimer('reclaim');
      times.push(performance.now() - started);
    }
  } finally {
    await app.terminate();
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  const at = (q: number): number => rest[Math.min(rest.length - 1, Math.floor(q * rest.length))] ?? 0;
  return { invocations: INVOCATIONS, firstMs: times[0] ?? 0, medianMs: at(0.5), p95Ms: at(0.95) };
}
