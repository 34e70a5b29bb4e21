/**
 * Span primitives of the tracer, through `@opentelemetry/api` only (no-ops without an SDK): the
 * scope name, semconv and count attributes, and a span around async work that records an error
 * redacted of the run's secrets, which ride in the context. Used by src/telemetry/instrumentation.ts.
 */
import {
  context,
  createContextKey,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { redact } from '../errors';

/** Instrumentation scope of the tracer and the meter. */
export const SCOPE = 'stream-reclaimer';

let enabled = true;
/** Benchmark baseline only (bench/instrumentation.ts): bypass every call into the API. */
export function setInstrumentationEnabled(on: boolean): void {
  enabled = on;
}

/** False only in the benchmark's baseline, which measures the run without any call into the API. */
export const instrumentationEnabled = (): boolean => enabled;

/** Secrets of the current run, carried in the context so child spans can redact with them. */
export const SECRETS = createContextKey('stream-reclaimer.secrets');

/** OTel messaging attributes naming the stream and group (semconv). */
export function messagingAttributes(stream: string, group: string): Attributes {
  return { 'messaging.system': 'redis', 'messaging.destination.name': stream, 'messaging.consumer.group.name': group };
}

/** `camelCase` summary fields as `reclaimer.snake_case`, numbers and booleans only (never a string). */
export function countAttributes(values: object): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'number' && typeof value !== 'boolean') continue;
    out[`reclaimer.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`] = value;
  }
  return out;
}

/** The error's class name, the value of `error.type`. */
export function errorType(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? error.name : error.constructor.name;
  return typeof error;
}

/** Records an error on a span: redacted message and stack, status ERROR, `error.type`. */
export function recordError(span: Span, error: unknown): void {
  const secrets = (context.active().getValue(SECRETS) as readonly (string | undefined)[] | undefined) ?? [];
  const type = errorType(error);
  const message = redact(error instanceof Error ? error.message : String(error), secrets);
  const stack = error instanceof Error && error.stack ? redact(error.stack, secrets) : undefined;
  span.recordException({ name: type, message, stack });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute('error.type', type);
}

export async function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer(SCOPE).startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
