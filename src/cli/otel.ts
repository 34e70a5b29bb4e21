/**
 * OTLP/HTTP export for the CLI (`run --otlp <url>`, or OTEL_EXPORTER_OTLP_ENDPOINT from the
 * CLI's environment): the same spans and metrics the function app sends to Azure Monitor. The SDK
 * (./otlp-sdk, a chunk of its own in the build) is loaded and registered only when asked; flushed
 * and unregistered before the command returns.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { UsageError } from '../errors';

/** Longest wait for the final export; an unreachable collector must not hold the command for long. */
const EXPORT_TIMEOUT_MS = 2_000;

/**
 * The endpoint is a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT is defined: `/v1/traces` and
 * `/v1/metrics` are appended (`http://localhost:4318` for a local collector).
 */
export function signalUrls(endpoint: string): { traces: string; metrics: string } {
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch {
    throw new UsageError(`Expected --otlp / OTEL_EXPORTER_OTLP_ENDPOINT to be an http(s) URL, got \`${endpoint}\``);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new UsageError(`Expected --otlp / OTEL_EXPORTER_OTLP_ENDPOINT to be an http(s) URL, got \`${endpoint}\``);
  }
  const root = base.href.replace(/\/+$/, '');
  return { traces: `${root}/v1/traces`, metrics: `${root}/v1/metrics` };
}

/** Runs `work` with an OTLP SDK registered globally; exports everything before returning. */
export async function withOtlp<T>(
  endpoint: string,
  work: () => Promise<T>,
  warn: (message: string) => void = () => undefined,
): Promise<T> {
  const urls = signalUrls(endpoint);
  const {
    AsyncLocalStorageContextManager,
    BasicTracerProvider,
    BatchSpanProcessor,
    MeterProvider,
    OTLPMetricExporter,
    OTLPTraceExporter,
    PeriodicExportingMetricReader,
    resourceFromAttributes,
  } = await import('./otlp-sdk');
  const resource = resourceFromAttributes({ 'service.name': 'stream-reclaimer' });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: urls.traces, timeoutMillis: EXPORT_TIMEOUT_MS })),
    ],
  });
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: urls.metrics, timeoutMillis: EXPORT_TIMEOUT_MS }),
    exportTimeoutMillis: EXPORT_TIMEOUT_MS,
  });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  try {
    return await work();
  } finally {
    // Shutdown flushes: pending spans and a final metric collection are exported here, within a bound.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), EXPORT_TIMEOUT_MS + 250)));
    const flushed = Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    const outcome = await Promise.race([flushed, late]);
    clearTimeout(timer);
    const failed = outcome === 'late' || outcome.some((r) => r.status === 'rejected');
    if (failed)
      warn(
        `telemetry was not delivered to ${urls.traces.replace(/\/v1\/traces$/, '')} within ${EXPORT_TIMEOUT_MS} ms (is the collector reachable?); the run itself is unaffected`,
      );
    trace.disable();
    metrics.disable();
    context.disable();
  }
}
