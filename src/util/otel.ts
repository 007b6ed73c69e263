/**
 * The OpenTelemetry backend of ./tracing.ts, loaded only when OTEL_* asks for traces. Spans go
 * through a batch processor to the OTLP exporter over HTTP/protobuf; the SDK reads the standard
 * variables itself: OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT / _HEADERS / _TIMEOUT, OTEL_BSP_*,
 * OTEL_TRACES_SAMPLER(_ARG), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */
import { ROOT_CONTEXT, SpanKind as OtelSpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { Attributes as OtelAttributes, Context, Span, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Attributes, SpanKind, SpanParent, TraceSpan, TracingBackend } from './tracing-types.js';

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const KINDS: Record<SpanKind, OtelSpanKind> = { internal: OtelSpanKind.INTERNAL, server: OtelSpanKind.SERVER, client: OtelSpanKind.CLIENT };

function clean(attributes: Attributes): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== null && value !== undefined) out[key] = value;
  return out;
}

/** A remote parent from a W3C traceparent; an invalid one starts a new trace, as the spec says. */
function contextOf(parent: SpanParent): Context {
  if (!parent) return ROOT_CONTEXT;
  if (typeof parent !== 'string') return parent instanceof OtelSpan ? trace.setSpan(ROOT_CONTEXT, parent.span) : ROOT_CONTEXT;
  const match = TRACEPARENT_RE.exec(parent.trim().toLowerCase());
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED, isRemote: true });
}

class OtelSpan implements TraceSpan {
  readonly recording: boolean;

  constructor(readonly span: Span) {
    this.recording = span.isRecording();
  }

  set(attributes: Attributes): void {
    this.span.setAttributes(clean(attributes));
  }

  fail(message: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
  }

  end(): void {
    this.span.end();
  }

  traceparent(): string | null {
    const context = this.span.spanContext();
    return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  }
}

export function createBackend(service: string, attributes: Attributes, env: NodeJS.ProcessEnv): TracingBackend {
  if (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL) {
    const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)!.trim();
    if (protocol !== 'http/protobuf') process.stderr.write(`lightning: OTLP protocol ${protocol} is not supported; exporting traces over http/protobuf\n`);
  }
  // Ours first, the environment's (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) over it.
  const resource = resourceFromAttributes(clean({ 'service.name': service, ...attributes })).merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  const tracer: Tracer = provider.getTracer('lightning');
  return {
    start: (name, spanAttributes, parent, kind) => new OtelSpan(tracer.startSpan(name, { kind: KINDS[kind], attributes: clean(spanAttributes) }, contextOf(parent))),
    shutdown: () => provider.shutdown(),
  };
}
