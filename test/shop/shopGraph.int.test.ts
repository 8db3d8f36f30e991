// The second demo graph, the shop, run end to end on the real stack through the shipped configs.
// index-configs/shop-products.yaml and shop-users.yaml have no gateway URL, only the composed
// supergraph: products are fetched by a composite @key ("sku package"), users — who have no root
// field anywhere in the graph — by "email"; both through fedsearch's own entry point, planned in
// process over the four subgraphs. shop-catalog.yaml goes through the shop's gateway to a root
// field returning an interface (a Product or a Bundle), with a union list and bundles that follow
// their products through a composite-key reverse lookup.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { Client } from '@elastic/elasticsearch';
import { parse } from 'graphql';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runAudit } from '../../src/audit/runAudit.ts';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { METADATA_INDEX } from '../../src/index/indexMetadata.ts';
import { indexNames } from '../../src/index/indexNames.ts';
import { loadIndex, type LoadedIndex } from '../../src/index/loadIndex.ts';
import { GatewayFetcher } from '../../src/pipeline/gatewayFetcher.ts';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { provision } from '../../src/provision/provisionCommand.ts';
import { parseSearchRequest } from '../../src/search/searchRequest.ts';
import { apolloServerOptions } from '../../src/apolloServerOptions.ts';
import { checkSearchSubgraphComposes, searchSubgraphSdl } from '../../src/search/searchSubgraphComposition.ts';
import { serveSearch } from '../../src/search/serveSearch.ts';
import { SearchService } from '../../src/search/searchService.ts';
import { postGraphQL } from '../../subgraphs/shared/postGraphQL.ts';
import { composeSupergraph } from '../../subgraphs/composeSupergraph.ts';
import { SHOP_TYPE_DEFS, startShopGraph, type ShopGraph, type ShopSubgraph } from '../../subgraphs/shop/shopGraph.ts';
import { eventually } from '../../support/indexHarness.ts';

const CONFIGS = new URL('../../index-configs/', import.meta.url);
const SUPERGRAPH = new URL('../../subgraphs/shop/supergraph.graphql', import.meta.url).pathname;
const quiet = { update: () => {}, note: () => {}, stop: () => {} };

interface ProductDocument {
  sku: string;
  package: string;
  name: string;
  inStock: number;
  createdBy: { email: string; name: string } | null;
  reviews: Array<{ id: number; stars: number; body: string; author: { name: string } | null }>;
}

describe('the shop graph: fetch by @key, composite keys, an entity with no root field', () => {
  const run = randomUUID().slice(0, 8);
  let graph: ShopGraph;
  let es: Client;
  let env: Record<string, string>;
  const indexes: string[] = [];
  const pipelines: RunningPipeline[] = [];
  let products: LoadedIndex | undefined;
  let users: LoadedIndex | undefined;
  let catalog: LoadedIndex | undefined;

  /** A shipped shop config under an index name of this run's own. */
  const shopIndex = async (name: 'shop-products' | 'shop-users' | 'shop-catalog'): Promise<LoadedIndex> => {
    const index = `it_${name.replace('-', '_')}_${run}`;
    indexes.push(index);
    const text = readFileSync(new URL(`${name}.yaml`, CONFIGS), 'utf8')
      .replace(`index: ${name}`, `index: ${index}`)
      .replace('../subgraphs/shop/supergraph.graphql', SUPERGRAPH);
    const file = join(mkdtempSync(join(tmpdir(), 'fedsearch-shop-')), `${name}.yaml`);
    writeFileSync(file, `${text}\npipeline:\n  metricsPort: 0\n  retries: 1\n  outageToleranceSeconds: 0\n`);
    const loaded = await loadIndex(file, { env });
    await provision(loaded, { dryRun: false }, () => {});
    pipelines.push(await runPipeline(loaded, { stage: 'all', metricsPort: 0 }));
    return loaded;
  };
  const gql = <T>(query: string): Promise<T> => postGraphQL<T>(graph.gatewayUrl, query);
  const productId = (sku: string, pkg: string): string => JSON.stringify({ sku, package: pkg });
  const product = async (index: string, sku: string, pkg: string): Promise<ProductDocument | undefined> => {
    const found = await es.get<ProductDocument>({ index, id: productId(sku, pkg) }, { ignore: [404] });
    return found.found ? found._source : undefined;
  };

  beforeAll(async () => {
    graph = await startShopGraph({ kafkaBrokers: inject('kafkaBrokers'), ports: { gateway: 0, users: 0, products: 0, inventory: 0, reviews: 0 } });
    env = {
      ...(process.env as Record<string, string>),
      SHOP_GATEWAY_URL: graph.gatewayUrl,
      SHOP_USERS_URL: graph.subgraphUrls.users,
      SHOP_PRODUCTS_URL: graph.subgraphUrls.products,
      SHOP_INVENTORY_URL: graph.subgraphUrls.inventory,
      SHOP_REVIEWS_URL: graph.subgraphUrls.reviews,
      FEDSEARCH_ES_URL: inject('elasticsearchUrl'),
      FEDSEARCH_KAFKA_BROKERS: inject('kafkaBrokers')[0] as string,
    };
    es = new Client({ node: inject('elasticsearchUrl') });
  }, 60_000);

  afterAll(async () => {
    for (const pipeline of pipelines) await pipeline.stop();
    await graph?.stop();
    for (const index of indexes) {
      await es.indices.delete({ index: `${index}_v*`, ignore_unavailable: true, allow_no_indices: true });
      await es.indices.deleteIndexTemplate({ name: indexNames(index).templateName }).catch(() => undefined);
      await es.delete({ index: METADATA_INDEX, id: index }).catch(() => undefined);
    }
    await es?.close();
  });

  it('indexes products by a composite key from four subgraphs, follows changes (a related user, an Int-keyed review, a delete), and audits clean', async () => {
    products = await shopIndex('shop-products');
    const index = products.config.index;
    expect(products.query.key.map((part) => part.documentPath)).toEqual(['sku', 'package']);

    // Backfill lists the keys through the same in-process gateway: there is no gateway URL.
    expect(await runBackfill(products, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet)).toMatchObject({ done: 4, failed: 0 });
    await es.indices.refresh({ index });
    expect(await product(index, 'federation', '@apollo/federation')).toEqual({
      sku: 'federation',
      package: '@apollo/federation',
      name: 'Federation',
      variation: { id: 'OSS' },
      inStock: 10,
      createdBy: { email: 'support@apollographql.com', name: 'Apollo Studio Support' },
      reviews: [{ id: 1, stars: 5, body: 'Composes every graph we have', author: { name: 'Grace Hopper' } }],
    });

    // A change on the inventory team's topic, keyed field by field.
    await gql('mutation { setStock(sku: "federation", package: "@apollo/gateway", inStock: 99) { inStock } }');
    // A related user renamed: the two products she created follow (reverse lookup on createdBy.email).
    await gql('mutation { renameUser(email: "ada@example.com", name: "Ada King") { name } }');
    // A related review keyed by an Int: the product holding it follows (nested reverse lookup).
    await gql('mutation { rateReview(id: 3, stars: 2) { stars } }');
    await eventually('the stock, the renamed creator and the new rating indexed', async () => {
      await es.indices.refresh({ index });
      const [gateway, studio, rover] = await Promise.all([
        product(index, 'federation', '@apollo/gateway'),
        product(index, 'studio', '@apollo/studio'),
        product(index, 'rover', '@apollo/rover'),
      ]);
      return gateway?.inStock === 99 && studio?.createdBy?.name === 'Ada King' && rover?.createdBy?.name === 'Ada King' && rover.reviews[0]?.stars === 2 ? true : undefined;
    }, 60_000);

    // A product deleted: every subgraph asked about it answers null, so its document goes.
    await gql('mutation { deleteProduct(sku: "studio", package: "@apollo/studio") }');
    await eventually('the deleted product removed', async () => {
      await es.indices.refresh({ index });
      return (await product(index, 'studio', '@apollo/studio')) === undefined ? true : undefined;
    }, 60_000);
    // A get sees the delete at once; the audit's listing of the index sees it after a refresh.
    await es.indices.refresh({ index });

    expect(await runAudit(products, { full: true, sample: 0, repair: false, settleSeconds: 0 })).toMatchObject({ graph: 3, indexed: 3, missing: [], extra: [], stale: [], persistent: [] });
    const hits = await new SearchService(products, es).search(parseSearchRequest({ query: 'rover' }));
    expect(hits.hits.map((hit) => hit.id)).toEqual([productId('rover', '@apollo/rover')]);
  }, 180_000);

  it('indexes users, who have no root field, by their @key; an email the graph does not know is missing, not an error', async () => {
    users = await shopIndex('shop-users');
    const index = users.config.index;
    const idsFile = join(mkdtempSync(join(tmpdir(), 'fedsearch-shop-ids-')), 'emails.txt');
    writeFileSync(idsFile, 'support@apollographql.com\nada@example.com\ngrace@example.com\n');
    expect(await runBackfill(users, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0, idsFile }, quiet)).toMatchObject({ done: 3, failed: 0 });
    await es.indices.refresh({ index });
    const grace = await es.get<Record<string, unknown>>({ index, id: 'grace@example.com' });
    expect(grace._source).toMatchObject({ email: 'grace@example.com', name: 'Grace Hopper', totalProductsCreated: 0 });
    expect((grace._source?.['reviews'] as unknown[]).length).toBe(2);

    await gql('mutation { renameUser(email: "grace@example.com", name: "Rear Admiral Grace Hopper") { name } }');
    await eventually('the renamed user indexed', async () => {
      const found = await es.get<{ name: string }>({ index, id: 'grace@example.com' });
      return found._source?.name === 'Rear Admiral Grace Hopper' ? true : undefined;
    }, 60_000);

    const fetcher = new GatewayFetcher({ gateway: users.config.gateway, template: users.query, pipeline: users.config.pipeline });
    try {
      const results = await fetcher.fetch(['nobody@example.com', 'ada@example.com']);
      expect(results.get('nobody@example.com')).toMatchObject({ kind: 'missing' });
      expect(results.get('ada@example.com')).toMatchObject({ kind: 'found', document: { email: 'ada@example.com', totalProductsCreated: expect.any(Number) } });
    } finally {
      await fetcher.close();
    }
  }, 180_000);

  it('indexes an interface root (a product or a bundle) with a union list: concrete types recorded, faceted, filtered; a bundle follows its products by their composite key', async () => {
    catalog = await shopIndex('shop-catalog');
    const index = catalog.config.index;
    // An unpaginated list, read in one page: the three products left and the bundle.
    expect(await runBackfill(catalog, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet)).toMatchObject({ done: 4, failed: 0 });
    await es.indices.refresh({ index });
    expect(await product(index, 'starter', '@apollo/starter-kit')).toMatchObject({
      __typename: 'Bundle',
      name: 'Starter Kit',
      media: [{ __typename: 'Video', url: 'https://example.com/starter.mp4', seconds: 240 }],
      items: [
        { sku: 'federation', package: '@apollo/federation', name: 'Federation' },
        { sku: 'rover', package: '@apollo/rover', name: 'Rover' },
      ],
    });
    expect(await product(index, 'rover', '@apollo/rover')).toMatchObject({
      __typename: 'Product',
      inStock: 40,
      media: [{ __typename: 'Image', url: 'https://example.com/rover.png' }, { __typename: 'Video', seconds: 30 }],
    });

    // The concrete types are facets and filters like any keyword; facets count documents.
    const service = new SearchService(catalog, es);
    const faceted = await service.search(parseSearchRequest({ facets: ['__typename', 'media.__typename'] }));
    expect(faceted.facets['__typename']).toEqual(expect.arrayContaining([expect.objectContaining({ value: 'Product', count: 3 }), expect.objectContaining({ value: 'Bundle', count: 1 })]));
    expect(faceted.facets['media.__typename']).toEqual(expect.arrayContaining([expect.objectContaining({ value: 'Image', count: 2 }), expect.objectContaining({ value: 'Video', count: 3 })]));
    const bundles = await service.search(parseSearchRequest({ filter: '__typename == "Bundle" AND media.__typename == "Video"' }));
    expect(bundles.hits.map((hit) => hit.id)).toEqual([productId('starter', '@apollo/starter-kit')]);

    // A product renamed: its own document (primary) and the bundle holding it (the reverse
    // lookup matches sku and package in the same nested item) follow.
    await gql('mutation { renameProduct(sku: "rover", package: "@apollo/rover", name: "Rover CLI") { name } }');
    await eventually('the product and its bundle renamed', async () => {
      await es.indices.refresh({ index });
      const [rover, starter] = await Promise.all([product(index, 'rover', '@apollo/rover'), product(index, 'starter', '@apollo/starter-kit')]);
      const items = (starter as unknown as { items: Array<{ name: string }> } | undefined)?.items;
      return rover?.name === 'Rover CLI' && items?.[1]?.name === 'Rover CLI' && items[0]?.name === 'Federation' ? true : undefined;
    }, 60_000);
    await es.indices.refresh({ index });
    expect(await runAudit(catalog, { full: true, sample: 0, repair: false, settleSeconds: 0 })).toMatchObject({ graph: 4, indexed: 4, missing: [], extra: [], stale: [], persistent: [] });
  }, 180_000);

  it('serves the three indexes in one search subgraph that composes into the shop graph, whose gateway resolves the hits (an interface\'s by their concrete type), beside the graph\'s own searchProducts', async () => {
    if (!products || !users || !catalog) throw new Error('the indexes are built by the first tests');
    expect(checkSearchSubgraphComposes([products, users, catalog])).toEqual({ supergraph: SUPERGRAPH });
    const search = await serveSearch([products, users, catalog], { host: '127.0.0.1', port: 0, subgraphPort: 0, requestTimeoutMs: 10_000, maxBodyBytes: 16_384 });
    const gateway = new ApolloServer({
      ...apolloServerOptions(),
      gateway: new ApolloGateway({
        supergraphSdl: composeSupergraph([
          ...(Object.keys(SHOP_TYPE_DEFS) as ShopSubgraph[]).map((name) => ({ name, typeDefs: SHOP_TYPE_DEFS[name], url: graph.subgraphUrls[name] })),
          { name: 'search', typeDefs: parse(searchSubgraphSdl([products, users, catalog])), url: search.subgraphUrl as string },
        ]),
        buildService: ({ url }) => new RemoteGraphQLDataSource({ url, fetcher: fetch }),
      }),
    });
    try {
      const { url } = await startStandaloneServer(gateway, { listen: { host: '127.0.0.1', port: 0 } });
      const answer = await postGraphQL<{
        findProducts: { edges: Array<{ node: { sku: string; package: string; inStock: number; createdBy: { name: string } } }> };
        searchProducts: Array<{ sku: string }>;
        searchUsers: { totalCount: number; edges: Array<{ node: { email: string; totalProductsCreated: number } }> };
      }>(url, '{ findProducts(query: "rover") { edges { node { sku package inStock createdBy { name } } } } searchProducts(name: "rover") { sku } searchUsers(query: "ada") { totalCount edges { node { email totalProductsCreated } } } }');
      // A composite key comes back as a reference of both fields; the gateway fills the rest from three subgraphs.
      expect(answer.findProducts.edges).toEqual([{ node: { sku: 'rover', package: '@apollo/rover', inStock: 40, createdBy: { name: 'Ada King' } } }]);
      // The products team's own Query.searchProducts, whose name the index's field gave way to, still answers.
      expect(answer.searchProducts).toEqual([{ sku: 'rover' }]);
      expect(answer.searchUsers.edges).toEqual([{ node: { email: 'ada@example.com', totalProductsCreated: 1 } }]);
      const entries = await postGraphQL<{ searchProductItfs: { edges: Array<{ node: Record<string, unknown> }> } }>(
        url,
        '{ searchProductItfs(query: "starter") { edges { node { __typename sku name ... on Bundle { items { name } } } } } }',
      );
      expect(entries.searchProductItfs.edges).toEqual([{ node: { __typename: 'Bundle', sku: 'starter', name: 'Starter Kit', items: [{ name: 'Federation' }, { name: 'Rover CLI' }] } }]);

      // A match inside a nested object (the bundle's items.name) is highlighted, over HTTP and in the subgraph.
      const overHttp = await fetch(`${search.apiUrl}/v1/indexes/${catalog.config.index}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'federation' }) });
      const httpHits = ((await overHttp.json()) as { hits: Array<{ id: string; highlights: Record<string, string[]> }> }).hits;
      expect(httpHits.find((hit) => hit.id === productId('starter', '@apollo/starter-kit'))?.highlights).toMatchObject({ 'items.name': ['<em>Federation</em>'] });
      const highlighted = await postGraphQL<{ searchProductItfs: { edges: Array<{ node: { sku: string }; highlights: Array<{ field: string; fragments: string[] }> }> } }>(
        url,
        '{ searchProductItfs(query: "federation") { edges { node { sku } highlights { field fragments } } } }',
      );
      expect(highlighted.searchProductItfs.edges.find((edge) => edge.node.sku === 'starter')?.highlights).toContainEqual({ field: 'items.name', fragments: ['<em>Federation</em>'] });
    } finally {
      await gateway.stop();
      await search.close();
    }
  }, 60_000);

  it('serves a search page that shows a product the way the config derives it, with no field of the movie demo', async () => {
    if (!products) throw new Error('the products index is built by the first test');
    const search = await serveSearch([products], { host: '127.0.0.1', port: 0, subgraphPort: null, requestTimeoutMs: 10_000, maxBodyBytes: 16_384 });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${search.apiUrl}/`);
      await page.waitForSelector('.card');
      await page.fill('#query', 'rover');
      await expect.poll(() => page.locator('.card').count(), { timeout: 10_000 }).toBe(1);
      // Title: the suggested field (name); subtitle: the facet (createdBy.name); detail: review bodies.
      expect(await page.locator('.card h2').textContent()).toBe('Rover CLI');
      expect(await page.locator('.card .meta').allTextContents()).toEqual(['Ada King', 'Checks caught a breaking change']);
    } finally {
      await browser.close();
      await search.close();
    }
  }, 60_000);
});
