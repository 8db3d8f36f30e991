// A graph not shaped like the demo's: reviews keyed by an Int (`review(id: Int!)`), in a subgraph
// of its own behind a real gateway. Changes flow to the index, the search subgraph composes with
// the graph and resolves its hits; an id that is no Int, and an answer about another entity than
// the one asked for, are dead-lettered with the reason.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Client } from '@elastic/elasticsearch';
import { parse } from 'graphql';
import { Kafka, logLevel } from '../../src/clients/kafkajs.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apolloServerOptions } from '../../src/apolloServerOptions.ts';
import { METADATA_INDEX } from '../../src/index/indexMetadata.ts';
import { indexNames } from '../../src/index/indexNames.ts';
import { loadIndex, type LoadedIndex } from '../../src/index/loadIndex.ts';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { provision } from '../../src/provision/provisionCommand.ts';
import { runAudit } from '../../src/audit/runAudit.ts';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { searchSubgraph, searchSubgraphNames, searchSubgraphTypeDefs } from '../../src/search/searchSubgraph.ts';
import { SearchService } from '../../src/search/searchService.ts';
import { composeSupergraph } from '../../subgraphs/composeSupergraph.ts';
import { postGraphQL } from '../../subgraphs/shared/postGraphQL.ts';
import { eventually, readDeadLetters } from '../../support/indexHarness.ts';

const REVIEWS = new Map<number, { id: number; body: string; stars: number }>([
  [7, { id: 7, body: 'A quiet harbor at dawn', stars: 4 }],
  [12, { id: 12, body: 'Loud and bright', stars: 2 }],
]);

const reviewsTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { review(id: Int!): Review  reviews(offset: Int): [Review!]! }
  type Review @key(fields: "id") { id: Int! body: String! stars: Int! }
`);

describe('an index keyed by an Int, on a graph of its own', () => {
  const run = randomUUID().slice(0, 8);
  const index = `it_int_${run}`;
  const topic = `it.${run}.review.changes`;
  const servers: ApolloServer[] = [];
  let kafka: Kafka;
  let es: Client;
  let loaded: LoadedIndex;
  let pipeline: RunningPipeline | undefined;
  let gatewayUrl: string;
  let reviewsUrl: string;

  const serve = async (server: ApolloServer): Promise<string> => {
    servers.push(server);
    const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
    return new URL('/graphql', url).toString();
  };
  const gatewayOver = (subgraphs: Array<{ name: string; typeDefs: ReturnType<typeof parse>; url: string }>): ApolloGateway =>
    new ApolloGateway({ supergraphSdl: composeSupergraph(subgraphs), buildService: ({ url }) => new RemoteGraphQLDataSource({ url, fetcher: fetch }) });

  beforeAll(async () => {
    kafka = new Kafka({ clientId: 'it-int-key', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });
    es = new Client({ node: inject('elasticsearchUrl') });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    const resolvers = {
      // Review 99 is served by a resolver that ignores its argument: it answers review 7.
      Query: {
        review: (_: unknown, args: { id: number }) => (args.id === 99 ? REVIEWS.get(7) : REVIEWS.get(args.id)) ?? null,
        // Two a page, so enumeration pages by $offset.
        reviews: (_: unknown, args: { offset?: number | null }) => [...REVIEWS.values()].slice(args.offset ?? 0, (args.offset ?? 0) + 2),
      },
      Review: { __resolveReference: (reference: { id: number }) => REVIEWS.get(reference.id) ?? null },
    };
    reviewsUrl = await serve(new ApolloServer({ ...apolloServerOptions(), schema: buildSubgraphSchema({ typeDefs: reviewsTypeDefs, resolvers }) }));
    gatewayUrl = await serve(new ApolloServer({ ...apolloServerOptions(), gateway: gatewayOver([{ name: 'reviews', typeDefs: reviewsTypeDefs, url: reviewsUrl }]) }));

    const configFile = join(mkdtempSync(join(tmpdir(), 'fedsearch-int-key-')), 'reviews.yaml');
    writeFileSync(
      configFile,
      [
        `index: ${index}`,
        'gateway:',
        `  url: ${gatewayUrl}`,
        'query: |',
        '  query Review($id: Int!) { review(id: $id) { id body stars } }',
        'primary:',
        '  type: Review',
        '  events:',
        `    - topic: ${topic}`,
        '      id: after.id',
        'backfill:',
        '  query: "query Reviews($offset: Int) { reviews(offset: $offset) { id } }"',
        'fields:',
        '  body: { text: true }',
        '  stars: { facet: true }',
        'elasticsearch:',
        `  node: ${inject('elasticsearchUrl')}`,
        '  replicas: 0',
        'kafka:',
        `  brokers: ["${inject('kafkaBrokers')[0]}"]`,
        'pipeline:',
        '  metricsPort: 0',
        '  retries: 1',
        '  outageToleranceSeconds: 0',
        '',
      ].join('\n'),
    );
    loaded = await loadIndex(configFile);
    await provision(loaded, { dryRun: false }, () => {});
    pipeline = await runPipeline(loaded, { stage: 'all', metricsPort: 0 });
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
    for (const server of servers.reverse()) await server.stop();
    if (es) {
      await es.indices.delete({ index: `${index}_v*`, ignore_unavailable: true, allow_no_indices: true });
      await es.indices.deleteIndexTemplate({ name: indexNames(index).templateName }).catch(() => undefined);
      await es.delete({ index: METADATA_INDEX, id: index }).catch(() => undefined);
      await es.close();
    }
    if (kafka) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic, `${index}.documents`, `${index}.dlq`] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('indexes a change by its Int id, dead-letters an id that is no Int and an answer about another entity, and serves search hits the gateway resolves', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: '7', value: JSON.stringify({ op: 'u', after: { id: 7 } }) },
        { key: 'x', value: JSON.stringify({ op: 'u', after: { id: 'rev-x' } }) },
        { key: '12', value: JSON.stringify({ op: 'u', after: { id: 12 } }) },
        { key: '99', value: JSON.stringify({ op: 'u', after: { id: 99 } }) },
      ],
    });
    await producer.disconnect();

    await eventually('reviews 7 and 12 indexed', async () => {
      await es.indices.refresh({ index });
      return (await es.count({ index })).count === 2 ? true : undefined;
    }, 60_000);
    expect((await es.get<{ id: number; body: string }>({ index, id: '7' }))._source).toEqual({ id: 7, body: 'A quiet harbor at dawn', stars: 4 });
    const letters = await eventually('the id that is no Int and the wrong answer dead-lettered', async () => {
      const found = (await readDeadLetters(kafka, `${index}.dlq`)).filter((letter) => letter.entityId === 'rev-x' || letter.entityId === '99');
      return found.length >= 2 ? found : undefined;
    }, 60_000);
    expect(letters.find((letter) => letter.entityId === 'rev-x')?.reason).toBe('the id "rev-x" is not an Int, which $id takes');
    // Trust but verify: the graph's answer for 99 is review 7, which must not be indexed as 99.
    expect(letters.find((letter) => letter.entityId === '99')?.reason).toBe('the graph returned another entity (asked for id 99, got 7)');
    expect(await es.exists({ index, id: '99' })).toBe(false);

    // The search subgraph composes into this graph (the key an Int) and the gateway resolves its hits.
    const service = new SearchService(loaded, es);
    const searchUrl = await serve(new ApolloServer({ ...apolloServerOptions(), schema: searchSubgraph([{ service, query: loaded.query }]) }));
    const searchTypeDefs = searchSubgraphTypeDefs([searchSubgraphNames(loaded.query)]);
    const withSearch = await serve(
      new ApolloServer({
        ...apolloServerOptions(),
        gateway: gatewayOver([
          { name: 'reviews', typeDefs: reviewsTypeDefs, url: reviewsUrl },
          { name: 'search', typeDefs: searchTypeDefs, url: searchUrl },
        ]),
      }),
    );
    const answer = await postGraphQL<{ searchReviews: { totalCount: number; edges: Array<{ node: { id: number; body: string } }> } }>(
      withSearch,
      '{ searchReviews(query: "harbor") { totalCount edges { node { id body } } } }',
    );
    expect(answer.searchReviews).toEqual({ totalCount: 1, edges: [{ node: { id: 7, body: 'A quiet harbor at dawn' } }] });
  }, 120_000);

  it('audits and backfills through a list paged by $offset (no Relay connection)', async () => {
    // A review the graph has and no event announced: the audit finds it missing, a backfill adds it.
    REVIEWS.set(30, { id: 30, body: 'Found by the backfill', stars: 5 });
    REVIEWS.set(31, { id: 31, body: 'And its neighbour', stars: 3 });
    const before = await runAudit(loaded, { full: true, sample: 0, repair: false, settleSeconds: 0 });
    expect(before).toMatchObject({ graph: 4, missing: ['30', '31'], extra: [], stale: [] });
    const quiet = { update: () => {}, note: () => {}, stop: () => {} };
    const summary = await runBackfill(loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet);
    expect(summary).toMatchObject({ done: 4, failed: 0 });
    await es.indices.refresh({ index });
    expect(await runAudit(loaded, { full: true, sample: 0, repair: false, settleSeconds: 0 })).toMatchObject({ graph: 4, indexed: 4, missing: [], extra: [], stale: [], persistent: [] });
    // The same from a list of ids. One the file names but the graph does not have is not a loss:
    // checked again against the graph, index and graph agree it does not exist.
    const idsFile = join(mkdtempSync(join(tmpdir(), 'fedsearch-ids-')), 'ids.txt');
    writeFileSync(idsFile, '# every review\n7\n12\n30\n31\n\n1000\n');
    const fromFile = await runAudit(loaded, { full: true, sample: 0, repair: false, settleSeconds: 0, idsFile });
    expect(fromFile).toMatchObject({ graph: 5, indexed: 4, missing: [], extra: [], stale: [], persistent: [] });
    expect(fromFile.settled).toEqual([{ id: '1000', class: 'missing', persistence: 'settled', ageSeconds: null }]);
  }, 120_000);
});
