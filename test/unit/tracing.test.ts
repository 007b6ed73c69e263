import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

describe('OpenTelemetry stays out of processes that do not trace', () => {
  const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => (statSync(path.join(dir, name)).isDirectory() ? files(path.join(dir, name)) : name.endsWith('.ts') ? [path.join(dir, name)] : []));

  it('only util/otel.ts imports @opentelemetry, and only util/tracing.ts loads it, dynamically', () => {
    const importers = files(SRC).filter((file) => /from '@opentelemetry\//.test(readFileSync(file, 'utf8'))).map((file) => path.relative(SRC, file));
    expect(importers).toEqual(['util/otel.ts']);
    const loaders = files(SRC).filter((file) => /['"]\.\/otel\.js['"]|util\/otel\.js/.test(readFileSync(file, 'utf8'))).map((file) => path.relative(SRC, file));
    expect(loaders).toEqual(['util/tracing.ts']);
    const tracing = readFileSync(path.join(SRC, 'util/tracing.ts'), 'utf8');
    expect(tracing).toMatch(/await import\('\.\/otel\.js'\)/);
    expect(tracing).not.toMatch(/^import [^t][^\n]*'\.\/otel\.js'/m);
  });
});
