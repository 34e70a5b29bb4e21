/**
 * Azure Monitor for the Functions app, set up first (functions/index.ts imports this before any
 * function file), so the OpenTelemetry SDK is registered before the core's first span or metric.
 * Off unless APPLICATIONINSIGHTS_CONNECTION_STRING is set. With
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING (`Authorization=AAD;ClientId=…`, written by the Bicep)
 * ingestion authenticates as the app's managed identity, so the resource may disable local auth.
 * The host's own logs still carry each run's one-line summary (functions/reclaim.ts).
 *
 * The distro and @azure/identity are `require`d only when configured: each is a chunk of its own
 * in the build (scripts/build.mjs), and together they are most of the app's load time.
 */
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { app } from '@azure/functions';
import { metrics, trace } from '@opentelemetry/api';
import { telemetrySettings, type TelemetrySettings } from '../src/config/telemetry-settings';

/** The options for `useAzureMonitor`; undefined when telemetry export is off. */
export function azureMonitorOptions(
  settings: TelemetrySettings = telemetrySettings(),
): AzureMonitorOpenTelemetryOptions | undefined {
  if (!settings.connectionString) return undefined;
  const off = { enabled: false };
  return {
    azureMonitorExporterOptions: {
      connectionString: settings.connectionString,
      ...(settings.entraClientId === undefined
        ? {}
        : {
            credential: new (identity().ManagedIdentityCredential)(
              settings.entraClientId ? { clientId: settings.entraClientId } : {},
            ),
          }),
    },
    // Only the reclaimer's own spans and metrics: the library instrumentations would trace the
    // exporter's and the worker's traffic, and a Redis one would put commands (field values) in spans.
    instrumentationOptions: {
      azureSdk: off,
      http: off,
      mongoDb: off,
      mySql: off,
      postgreSql: off,
      redis: off,
      redis4: off,
      bunyan: off,
      winston: off,
    },
    enableLiveMetrics: false,
    // Every run: one trace per timer tick is far below any volume worth sampling, and the
    // distro's default rate limiter (5 traces/s) can drop the first traces of a fresh instance.
    samplingRatio: 1,
    tracesPerSecond: 0,
  };
}

type AzureMonitor = typeof import('@azure/monitor-opentelemetry');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const identity = (): typeof import('@azure/identity') => require('@azure/identity') as typeof import('@azure/identity');

/** The started distro; undefined when telemetry export is off. */
const monitor = startAzureMonitor(azureMonitorOptions());

function startAzureMonitor(options: AzureMonitorOpenTelemetryOptions | undefined): AzureMonitor | undefined {
  if (!options) return undefined;
  // Loaded only when configured: the distro is large and patches modules as it loads.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const distro = require('@azure/monitor-opentelemetry') as AzureMonitor;
  distro.useAzureMonitor(options);
  // A Flex Consumption instance may be frozen between invocations: export each run's telemetry
  // when the invocation ends, and the rest when the app stops (shutdownTelemetry).
  app.hook.postInvocation(() => flush());
  return distro;
}

/**
 * Flushes and shuts down Azure Monitor; false (nothing to do) when telemetry is off. Not a hook of its own:
 * the worker runs appTerminate hooks one at a time in registration order and this file loads
 * first, so a hook here would shut the exporter down while runs were still going and drop their
 * spans. functions/worker.ts calls it from the app's one appTerminate hook, after the runs stop.
 */
export async function shutdownTelemetry(): Promise<boolean> {
  if (!monitor) return false;
  await monitor.shutdownAzureMonitor();
  return true;
}

async function flush(): Promise<void> {
  const tracer = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const providers = [tracer.getDelegate?.() ?? tracer, metrics.getMeterProvider()] as {
    forceFlush?: () => Promise<void>;
  }[];
  await Promise.all(providers.map(async (p) => p.forceFlush?.().catch(() => undefined)));
}
