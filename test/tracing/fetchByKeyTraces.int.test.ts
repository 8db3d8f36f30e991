import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadIndex } from '../../src/index/loadIndex.ts';
import { GatewayFetcher } from '../../src/pipeline/gatewayFetcher.ts';
import { inSpan, tracer } from '../../src/tracing/traces.ts';
import { registerTracing } from '../../src/tracing/tracingSdk.ts';
import { startShopGraph, type ShopGraph } from '../../subgraphs/shop/shopGraph.ts';
import { traceparentsSeen } from './traceparentsSeen.ts';

// A fetch by @key runs Apollo's gateway in this process: its requests to the subgraphs carry the
// trace context of the fetch too.
const exporter = new InMemorySpanExporter();
const { plugin: subgraphSees, traceparents } = traceparentsSeen();
let graph: ShopGraph;
let stopTracing: () => Promise<void>;

beforeAll(async () => {
  stopTracing = registerTracing(exporter, { batch: false });
  graph = await startShopGraph({ kafkaBrokers: null, ports: { gateway: 0, users: 0, products: 0, inventory: 0, reviews: 0 }, subgraphPlugins: [subgraphSees] });
});

afterAll(async () => {
  await graph?.stop();
  await stopTracing?.();
});

it('a fetch by @key sends each subgraph request the traceparent of a span under fedsearch.fetch', async () => {
  const text = readFileSync(new URL('../../index-configs/shop-users.yaml', import.meta.url), 'utf8')
    .replace('../subgraphs/shop/supergraph.graphql', new URL('../../subgraphs/shop/supergraph.graphql', import.meta.url).pathname);
  const file = join(mkdtempSync(join(tmpdir(), 'fedsearch-traces-')), 'shop-users.yaml');
  writeFileSync(file, text);
  const env = { SHOP_USERS_URL: graph.subgraphUrls.users, SHOP_PRODUCTS_URL: graph.subgraphUrls.products, SHOP_INVENTORY_URL: graph.subgraphUrls.inventory, SHOP_REVIEWS_URL: graph.subgraphUrls.reviews };
  const users = await loadIndex(file, { env: { ...(process.env as Record<string, string>), ...env } });
  const fetcher = new GatewayFetcher({ gateway: users.config.gateway, template: users.query, pipeline: users.config.pipeline });
  try {
    const root = tracer.startSpan('test.root');
    const results = await inSpan(root, () => fetcher.fetch(['ada@example.com']));
    expect(results.get('ada@example.com')?.kind).toBe('found');

    const spans = exporter.getFinishedSpans();
    const traceId = root.spanContext().traceId;
    const fetch = spans.find((span) => span.name === 'fedsearch.fetch');
    expect(fetch?.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    const underFetch = (spanId: string | undefined): boolean => {
      const span = spans.find((each) => each.spanContext().spanId === spanId);
      if (!span) return false;
      return span === fetch || underFetch(span.parentSpanContext?.spanId);
    };
    expect(traceparents.length).toBeGreaterThan(0);
    for (const traceparent of traceparents) {
      const [, trace, span] = traceparent.split('-');
      expect(trace).toBe(traceId);
      expect(underFetch(span), `${traceparent} names a span under fedsearch.fetch`).toBe(true);
    }
  } finally {
    await fetcher.close();
  }
});
