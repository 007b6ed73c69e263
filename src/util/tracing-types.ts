/** The shapes of tracing.ts, shared with its OpenTelemetry backend (otel.ts) without a cycle. */

export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type Attributes = Record<string, AttributeValue | null | undefined>;
export type SpanKind = 'internal' | 'server' | 'client';

export interface TraceSpan {
  /** False for the no-op span: callers may skip work only tracing needs. */
  readonly recording: boolean;
  /** Adds attributes (null and undefined values are left out). */
  set(attributes: Attributes): void;
  /** Marks the span as failed, with why. */
  fail(message: string): void;
  end(): void;
  /** This span as a W3C traceparent header value, for a request it makes; null when not recording. */
  traceparent(): string | null;
}

/** Where a span hangs: a span of this process, a traceparent from a request, or nothing (a root). */
export type SpanParent = TraceSpan | string | null | undefined;

/** What ./otel.js provides once loaded. */
export interface TracingBackend {
  start(name: string, attributes: Attributes, parent: SpanParent, kind: SpanKind): TraceSpan;
  shutdown(): Promise<void>;
}
