import { describe, expect, it } from '@jest/globals';
import { startSpan, startTracing, tracingRequested } from '../../src/util/tracing.js';

describe('tracing when OTEL_* does not ask for it', () => {
  it('is requested by an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp, and never with OTEL_SDK_DISABLED or exporter none', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBe(false);
  });

  it('starts nothing: every span is the same inert one', async () => {
    expect(await startTracing('lightning-test', {}, {})).toBe(false);
    const span = startSpan('task', { 'lightning.task.id': 't1' });
    expect(span.recording).toBe(false);
    expect(span.traceparent()).toBeNull();
    expect(startSpan('other', {}, span)).toBe(span);
  });
});
