/**
 * Tracing, OpenTelemetry when asked for and nothing otherwise. The OTel SDK and its OTLP exporter
 * are loaded (./otel.js) only when the standard OTEL_* variables ask for traces; until then every
 * span is one shared no-op object, so the hot path pays a function call and nothing more.
 *
 * Spans are parented explicitly (a span, or a W3C `traceparent` from a request), not through an
 * async context manager: the task's path crosses queues, timers and processes, and an explicit
 * parent is what reaches across all of them.
 */

import type { Attributes, SpanKind, SpanParent, TraceSpan, TracingBackend } from './tracing-types.js';

export type { AttributeValue, Attributes, SpanKind, SpanParent, TraceSpan } from './tracing-types.js';

const NO_SPAN: TraceSpan = Object.freeze({
  recording: false,
  set: () => undefined,
  fail: () => undefined,
  end: () => undefined,
  traceparent: () => null,
});

/**
 * The process's one backend, kept on globalThis rather than in a module variable: the built-in
 * worker of the npm package boots from a CommonJS bundle and loads its task code later as ES
 * modules (scripts/bundle.mjs), so this file is there twice, and spans a task starts must reach
 * the backend the worker's start-up opened.
 */
const BACKEND = Symbol.for('lightning.tracing.backend');
const holder = globalThis as { [BACKEND]?: TracingBackend | null };

/**
 * Whether the environment asks for traces: an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or OTEL_TRACES_EXPORTER=otlp, unless OTEL_SDK_DISABLED=true
 * or OTEL_TRACES_EXPORTER=none.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  if (exporters.includes('none')) return false;
  if (exporters.includes('otlp')) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Loads the OTel SDK and starts exporting when the environment asks for it; otherwise does
 * nothing at all. `service` is the default service.name (OTEL_SERVICE_NAME wins). A backend that
 * cannot load is reported on stderr and tracing stays off: traces are never worth a failed start.
 */
export async function startTracing(service: string, attributes: Attributes = {}, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (holder[BACKEND] || !tracingRequested(env)) return Boolean(holder[BACKEND]);
  try {
    const { createBackend } = await import('./otel.js');
    holder[BACKEND] = createBackend(service, attributes, env);
    return true;
  } catch (error) {
    process.stderr.write(`lightning: tracing is off: cannot start OpenTelemetry: ${(error as Error).message}\n`);
    return false;
  }
}

/** Sends what is buffered and stops; a no-op when tracing is off. */
export async function stopTracing(): Promise<void> {
  const current = holder[BACKEND];
  holder[BACKEND] = null;
  await current?.shutdown().catch(() => undefined);
}

export function startSpan(name: string, attributes: Attributes = {}, parent?: SpanParent, kind: SpanKind = 'internal'): TraceSpan {
  const backend = holder[BACKEND];
  return backend ? backend.start(name, attributes, parent, kind) : NO_SPAN;
}

/** Runs `work` in a span that ends with it, failed if it throws. */
export async function inSpan<T>(name: string, attributes: Attributes, parent: SpanParent, work: (span: TraceSpan) => Promise<T>, kind: SpanKind = 'internal'): Promise<T> {
  const span = startSpan(name, attributes, parent, kind);
  try {
    return await work(span);
  } catch (error) {
    span.fail((error as Error)?.message ?? String(error));
    throw error;
  } finally {
    span.end();
  }
}
