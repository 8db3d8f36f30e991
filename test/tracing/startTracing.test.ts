import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { startTracing, traceExporterFrom } from '../../src/tracing/startTracing.ts';
import { batchTraceContext, traceHeaders, tracer } from '../../src/tracing/traces.ts';

describe('traces are off unless the OTEL_* variables ask for them', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('sets nothing up without them: no provider, no recording spans, no headers', async () => {
    for (const name of Object.keys(process.env).filter((each) => each.startsWith('OTEL_'))) vi.stubEnv(name, undefined);
    expect(await startTracing()).toBeNull();
    const span = tracer.startSpan('fedsearch.enrich');
    expect(span.isRecording()).toBe(false);
    expect(traceHeaders()).toEqual({});
    // A message that carries a context is still read as nothing to join: no propagator is registered.
    const carried = { traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01') };
    expect(batchTraceContext([carried]).links).toEqual([]);
    span.end();
  });

  it('reads the standard variables', () => {
    expect(traceExporterFrom({})).toBeNull();
    expect(traceExporterFrom({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe('otlp');
    expect(traceExporterFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
    expect(traceExporterFrom({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe('otlp');
    expect(traceExporterFrom({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
    expect(traceExporterFrom({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeNull();
    expect(traceExporterFrom({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBeNull();
    expect(() => traceExporterFrom({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(UserError);
  });
});
