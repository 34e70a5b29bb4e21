/**
 * An in-memory OpenTelemetry SDK for tests: spans in an InMemorySpanExporter, metrics read on
 * demand through a MetricReader, async context so child spans find their parent. Registered
 * globally once per test file (each file runs in its own process).
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  MetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** Pulls metrics only when the test asks (collect), cumulative. */
class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Point {
  name: string;
  unit: string;
  attributes: Record<string, unknown>;
  /** Sum or gauge value; for a histogram, its count. */
  value: number;
  /** Histogram sum. */
  sum?: number;
}

export interface TestTelemetry {
  spans(): ReadableSpan[];
  /** Every span finished since install, resets included. */
  allSpans(): ReadableSpan[];
  points(): Promise<Point[]>;
  reset(): void;
}

export function installTestTelemetry(): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const reader = new PullReader();
  const history: ReadableSpan[] = [];
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return {
    spans: () => exporter.getFinishedSpans(),
    async points() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.flatMap(flatten));
    },
    allSpans: () => [...history, ...exporter.getFinishedSpans()],
    reset() {
      history.push(...exporter.getFinishedSpans());
      exporter.reset();
    },
  };
}

function flatten(metric: MetricData): Point[] {
  const { name, unit } = metric.descriptor;
  return metric.dataPoints.map((p) => {
    if (metric.dataPointType === DataPointType.HISTOGRAM) {
      const h = p.value as { count: number; sum?: number };
      return { name, unit, attributes: { ...p.attributes }, value: h.count, sum: h.sum };
    }
    return { name, unit, attributes: { ...p.attributes }, value: p.value as number };
  });
}

/** Every string an exported span carries: name, attributes, events, status message, resource excluded. */
export function spanStrings(span: ReadableSpan): string[] {
  const out = [span.name, span.status.message ?? ''];
  const add = (attrs: Record<string, unknown> | undefined): void => {
    for (const [k, v] of Object.entries(attrs ?? {})) out.push(k, Array.isArray(v) ? v.join(' ') : String(v));
  };
  add(span.attributes);
  for (const event of span.events) {
    out.push(event.name);
    add(event.attributes);
  }
  return out;
}
