// The OpenTelemetry SDK: imported only when traces are on (startTracing.ts).
import { resourceFromAttributes, detectResources, envDetector } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** The exporters `OTEL_TRACES_EXPORTER` may name (besides none). */
export type TraceExporterName = 'otlp' | 'console';

/** The exporter `OTEL_TRACES_EXPORTER` names; the OTLP one reads its endpoint and headers from the OTEL_EXPORTER_OTLP_* variables itself. */
export async function exporterNamed(name: TraceExporterName): Promise<SpanExporter> {
  if (name === 'console') {
    const { ConsoleSpanExporter } = await import('@opentelemetry/sdk-trace-node');
    return new ConsoleSpanExporter();
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter();
}

/**
 * Registers a tracer provider for the whole process — the context manager that carries the active
 * span across awaits, and the W3C trace-context propagator — exporting to `exporter` (in batches,
 * or span by span for a test's in-memory exporter). Returns the shutdown that flushes it.
 */
export function registerTracing(exporter: SpanExporter, options: { batch: boolean }): () => Promise<void> {
  return registerTracingProvider(exporter, options).shutdown;
}

/** registerTracing, also with the flush of a provider the process keeps (startTracing). */
export function registerTracingProvider(exporter: SpanExporter, options: { batch: boolean }): { flush(): Promise<void>; shutdown(): Promise<void> } {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'fedsearch' }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [options.batch ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter)],
  });
  provider.register();
  return { flush: () => provider.forceFlush(), shutdown: () => provider.shutdown() };
}
