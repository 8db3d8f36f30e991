// The gateway fetch rate by batch size × concurrency, against an in-process demo graph of 10,000
// movies and nothing else (no Kafka, no Elasticsearch): where the fetch ceiling comes from.
//   COMBOS=25x4,100x4 N=3000 npx tsx bench/probeFetch.ts
// Add `node --import tsx --cpu-prof` to see where the graph spends its time.
import { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { loadIndex } from '../src/index/loadIndex.ts';
import { startDemoGraph } from '../subgraphs/startDemoGraph.ts';
import { entityId } from '../subgraphs/data/studioRows.ts';

const graph = await startDemoGraph({ movies: 10_000, kafkaBrokers: null, ports: { gateway: 0, movies: 0, productions: 0, talent: 0 } });
process.env.FEDSEARCH_GATEWAY_URL = graph.gatewayUrl;
const loaded = await loadIndex(new URL('../index-configs/movies.yaml', import.meta.url).pathname, { schemaFile: new URL('../subgraphs/supergraph.graphql', import.meta.url).pathname });
const ids = Array.from({ length: 10_000 }, (_, i) => entityId('mov', i + 1));
for (const [batchSize, concurrency] of (process.env.COMBOS ?? '25x4').split(',').map((c) => c.split('x').map(Number))) {
  const fetcher = new GatewayFetcher({ gateway: loaded.config.gateway, template: loaded.query, pipeline: { ...loaded.config.pipeline, batchSize: batchSize as number, concurrency: concurrency as number } });
  await fetcher.fetch(ids.slice(0, 500));
  const t = performance.now();
  const n = Number(process.env.N ?? 3000);
  for (let s = 0; s < n; s += 500) await fetcher.fetch(ids.slice(1000 + s, 1000 + s + 500));
  console.log(`${batchSize}x${concurrency}: ${(n / ((performance.now() - t) / 1000)).toFixed(0)}/s`);
}
await graph.stop();
