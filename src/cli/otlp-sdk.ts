/**
 * The OpenTelemetry SDK and OTLP/HTTP exporters `run --otlp` registers: re-exports only, so the
 * build can make this module a chunk of its own (scripts/build.mjs) that only src/cli/otel.ts
 * loads, and only when an endpoint is given. Nothing of ours here: a class of ours bundled into a
 * chunk would be a second copy of it.
 */
export { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
export { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
export { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
export { resourceFromAttributes } from '@opentelemetry/resources';
export { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
export { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
