import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span, type SpanContext, type TextMapGetter } from '@opentelemetry/api';
import { isSpanContextValid } from '@opentelemetry/api';

/**
 * fedsearch's spans, through the OpenTelemetry API only. Until an SDK is registered (tracingSdk.ts,
 * when the OTEL_* variables ask for one) every span here is the API's no-op: nothing is recorded,
 * no header is written, and the cost is a few function calls per batch.
 */
export const tracer = trace.getTracer('fedsearch');

export type KafkaHeaders = Record<string, Buffer | string | Array<Buffer | string> | undefined>;

const kafkaHeaderGetter: TextMapGetter<KafkaHeaders | undefined> = {
  keys: (headers) => Object.keys(headers ?? {}),
  get: (headers, key) => {
    const value = headers?.[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(String) : String(value);
  },
};

/** The trace context a Kafka message carries (W3C `traceparent`/`tracestate` headers), or none. */
export function spanContextIn(headers: KafkaHeaders | undefined): SpanContext | null {
  if (!headers || headers['traceparent'] === undefined) return null;
  const carried = trace.getSpanContext(propagation.extract(context.active(), headers, kafkaHeaderGetter));
  return carried && isSpanContextValid(carried) ? carried : null;
}

/** At most this many links per span: a batch of 10,000 messages from as many traces links to the first. */
const MAX_LINKS = 64;

/**
 * How a batch of messages joins their traces: every distinct context carried becomes a link, and
 * when all of them belong to one trace (one event's documents, mostly) the first becomes the
 * parent too, so the batch's spans sit in that trace rather than beside it.
 */
export function batchTraceContext(headers: ReadonlyArray<KafkaHeaders | undefined>): { parent: Context; links: Link[] } {
  const links: Link[] = [];
  const seen = new Set<string>();
  const traces = new Set<string>();
  for (const each of headers) {
    const carried = spanContextIn(each);
    if (!carried) continue;
    traces.add(carried.traceId);
    const id = `${carried.traceId}-${carried.spanId}`;
    if (seen.has(id) || links.length >= MAX_LINKS) continue;
    seen.add(id);
    links.push({ context: carried });
  }
  const first = links[0]?.context;
  // No carried context: a root of its own (not whatever happens to be active in the consumer).
  const parent = first && traces.size === 1 ? trace.setSpanContext(context.active(), first) : trace.deleteSpan(context.active());
  return { parent, links };
}

/** The W3C trace headers for the span active in `from` (none when tracing is off), for a Kafka message or an HTTP request. */
export function traceHeaders(from: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  const current = trace.getSpanContext(from);
  if (current && isSpanContextValid(current)) propagation.inject(from, headers);
  return headers;
}

/** Runs `work` in a span that ends when it settles, recording an error that escapes it. */
export async function inSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(context.active(), span), work);
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed with the error's message. */
export function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * The span of one consumed batch of a topic partition: a child in the trace its messages carry
 * when they all carry one, linked to each context they carry (batchTraceContext).
 */
export function batchSpan(
  name: string,
  batch: { topic: string; partition: number; messages: ReadonlyArray<{ headers?: KafkaHeaders }> },
  group: string,
): Span {
  const { parent, links } = batchTraceContext(batch.messages.map((message) => message.headers));
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.destination.name': batch.topic,
    'messaging.destination.partition.id': String(batch.partition),
    'messaging.batch.message_count': batch.messages.length,
    'messaging.consumer.group.name': group,
  };
  return tracer.startSpan(name, { kind: SpanKind.CONSUMER, links, attributes }, parent);
}
