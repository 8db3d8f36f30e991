import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { registerTracing } from '../../src/tracing/tracingSdk.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';
import { createIndexHarness, eventually, indexedDocument, type IndexHarness } from '../../support/indexHarness.ts';
import { traceparentsSeen } from './traceparentsSeen.ts';

const MOVIES = 20;

describe('one change event is one trace, from its decode to its bulk write and into the graph', () => {
  const exporter = new InMemorySpanExporter();
  /** The `traceparent` of each request the demo graph's gateway received. */
  const { plugin: gatewaySees, traceparents } = traceparentsSeen();
  let stopTracing: () => Promise<void>;
  let h: IndexHarness;
  let pipeline: RunningPipeline;

  beforeAll(async () => {
    // What the OTEL_* variables start, exporting to memory span by span.
    stopTracing = registerTracing(exporter, { batch: false });
    h = await createIndexHarness({ elasticsearchUrl: inject('elasticsearchUrl'), kafkaBrokers: inject('kafkaBrokers'), movies: MOVIES, gatewayPlugins: [gatewaySees] });
    pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
    const ids = Array.from({ length: MOVIES }, (_, i) => entityId('mov', i + 1));
    expect((await pipeline.enrich.enrich(new Map(ids.map((id) => [id, null])))).failed).toEqual([]);
    await eventually('the seeded documents', async () => {
      await h.es.indices.refresh({ index: h.index });
      return (await h.es.count({ index: h.index })).count === MOVIES ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
    await h?.dispose();
    await stopTracing?.();
  });

  it('a production change: enrich → decode, reverse lookup, fetch (its traceparent at the gateway), produce → sink → bulk write', async () => {
    exporter.reset();
    traceparents.length = 0;
    await h.gql('mutation { updateProduction(ptpId: "ptp-0000003", patch: { status: CANCELLED }) { ptpId } }');
    await eventually('the production status', async () =>
      (await indexedDocument<{ production: { status: string } | null }>(h, 'mov-0000003'))?.production?.status === 'CANCELLED' ? true : undefined,
    );
    const productionTopic = h.loaded.config.related[0]?.events[0]?.topic;
    const trace = await eventually('the trace down to its bulk write', async () => {
      const spans = exporter.getFinishedSpans();
      const enrich = spans.find((span) => span.name === 'fedsearch.enrich' && span.attributes['messaging.destination.name'] === productionTopic);
      const traced = spans.filter((span) => span.spanContext().traceId === enrich?.spanContext().traceId);
      return traced.some((span) => span.name === 'fedsearch.sink') ? traced : undefined;
    });

    const one = (name: string, parent: ReadableSpan | null): ReadableSpan => {
      const found = trace.filter((span) => span.name === name && span.parentSpanContext?.spanId === parent?.spanContext().spanId);
      expect(found.map((span) => span.name)).toEqual([name]);
      return found[0] as ReadableSpan;
    };
    const enrich = one('fedsearch.enrich', null);
    const decode = one('fedsearch.decode', enrich);
    expect(decode.attributes).toMatchObject({ 'fedsearch.ids.related': 1, 'fedsearch.ids.primary': 0 });
    expect(one('fedsearch.reverse_lookup', enrich).attributes).toMatchObject({ 'fedsearch.ids.found': 1 });
    const fetch = one('fedsearch.fetch', enrich);
    expect(fetch.attributes).toMatchObject({ 'fedsearch.ids': 1 });
    const produce = one('fedsearch.produce', enrich);
    // Across the documents topic: the sink's batch is the produce span's child, and linked to it.
    const sink = one('fedsearch.sink', produce);
    expect(sink.links.map((link) => link.context.spanId)).toEqual([produce.spanContext().spanId]);
    expect(one('fedsearch.bulk_write', sink).attributes).toMatchObject({ 'fedsearch.documents': 1 });

    // The gateway received the fetch span's context, so its spans and the subgraphs' join this trace.
    expect(traceparents).toContain(`00-${enrich.spanContext().traceId}-${fetch.spanContext().spanId}-01`);
  });
});
