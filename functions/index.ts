/**
 * Entry point of the Functions app (package.json `main` after the build): registers every
 * function of the app, and the worker's terminate hook (./worker). Each function's handler, with
 * the Redis client and the reclaim pipeline behind it, is imported at its first invocation, so
 * the host's start (loading and indexing the app) pays for none of it (cold start: docs/performance.md).
 */
// First: telemetry (when configured) must be registered before anything else loads.
import './telemetry';
import './worker';
import { app } from '@azure/functions';

app.timer('reclaim', {
  schedule: '%RECLAIM_SCHEDULE%',
  handler: async (timer, context) => (await import('./reclaim')).reclaimHandler(timer, context),
});
app.http('status', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'status',
  handler: async (request, context) => (await import('./status')).statusHandler(request, context),
});
