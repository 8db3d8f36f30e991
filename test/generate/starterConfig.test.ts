// `fedsearch init`: a starter config for any entity type of any graph, accepted by validate as
// written — a root-field query where the graph has one, a fragment fetched by @key where it has not.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../subgraphs/composeSupergraph.ts';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { UserError } from '../../src/errors.ts';
import { starterConfig } from '../../src/generate/starterConfig.ts';
import { loadGraph } from '../../src/graph/loadGraphSchema.ts';
import { checkIndexAgainstSchema, type LoadedIndex } from '../../src/index/loadIndex.ts';
import { checkSearchNames } from '../../src/search/searchSubgraphComposition.ts';

const STUDIO = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;
const SHOP = new URL('../../subgraphs/shop/supergraph.graphql', import.meta.url).pathname;

/** The starter config for `typeName`, written beside nothing in particular, then checked as `validate` checks it. */
async function initAndValidate(typeName: string, supergraphFile: string, topicPrefix: string): Promise<{ text: string; loaded: LoadedIndex }> {
  const dir = mkdtempSync(join(tmpdir(), 'fedsearch-init-'));
  const graph = await loadGraph({ schemaFile: supergraphFile });
  const text = starterConfig({ typeName, schema: graph.schema, supergraph: graph.supergraph, supergraphPath: relative(dir, supergraphFile), gatewayUrl: null, topicPrefix });
  const file = join(dir, 'starter.yaml');
  writeFileSync(file, text);
  const config = parseIndexConfig(text, file, {});
  const checked = await loadGraph({ gateway: config.gateway });
  const loaded = checkIndexAgainstSchema(config, checked.schema, checked.supergraph);
  checkSearchNames(loaded);
  return { text, loaded };
}

describe('fedsearch init', () => {
  it('writes a root-field query when the graph has one, with its related entities, topics by convention and a backfill list', async () => {
    const { loaded } = await initAndValidate('Movie', STUDIO, 'studio');
    expect(loaded.query.fetchByKey).toBeNull();
    expect(loaded.query.rootFieldName).toBe('movie');
    expect(loaded.config.primary.events).toMatchObject([{ topic: 'studio.movie.changes', idPath: 'after.movieId' }]);
    expect(loaded.config.related).toMatchObject([{ type: 'Production', lookup: 'production.ptpId' }]);
    expect(loaded.config.fields).toMatchObject({ title: { suggest: true }, synopsis: { text: true } });
    expect(loaded.config.backfill.query).toContain('movies(first: 500, after: $after)');
  });

  it('writes a fragment fetched by @key for an entity with no root field', async () => {
    const { loaded, text } = await initAndValidate('User', SHOP, 'shop');
    expect(text).toContain('fragment User on User {');
    expect(loaded.query.fetchByKey).toMatchObject({ keyFields: 'email' });
    expect(loaded.config.backfill.query).toBeNull();
    expect(text).toContain('backfill and audit take --ids-file');
  });

  it('maps every field of a composite key to an event path, and finds an $offset list', async () => {
    const product = await initAndValidate('Product', SHOP, 'shop');
    expect(product.loaded.config.primary.events[0]?.idPaths).toEqual({ sku: 'after.sku', package: 'after.package' });
    expect(product.loaded.config.related).toMatchObject([
      { type: 'User', lookup: 'createdBy.email' },
      { type: 'Review', lookup: 'reviews.id' },
    ]);
    expect(product.loaded.nestedPaths).toEqual(['reviews']);
    // The shop's products team has its own Query.searchProducts: the starter's search field is free.
    expect(product.loaded.config.search.field).toBe('findProducts');
    expect((await initAndValidate('User', SHOP, 'shop')).loaded.config.search.field).toBeNull();
    const review = await initAndValidate('Review', SHOP, 'shop');
    expect(review.loaded.query.key).toMatchObject([{ documentPath: 'id', kind: 'int' }]);
    expect(review.loaded.config.backfill.query).toContain('reviews(offset: $offset)');
  });

  it('writes a fragment for an entity whose only key is nested, each key leaf mapped to an event path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-init-nested-'));
    const supergraphFile = join(dir, 'parcels.graphql');
    const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';
    writeFileSync(
      supergraphFile,
      composeSupergraph([
        {
          name: 'parcels',
          url: 'http://127.0.0.1:4301/graphql',
          typeDefs: parse(`${federation}
            type Query { parcels: [Parcel!]! }
            type Parcel @key(fields: "sku box { id }") { sku: String! box: Box! weight: Float }
            type Box { id: ID! }`),
        },
        { name: 'tracking', url: 'http://127.0.0.1:4302/graphql', typeDefs: parse(`${federation}\ntype Parcel @key(fields: "sku box { id }") { sku: String! box: Box! status: String }\ntype Box { id: ID! @shareable }`) },
      ]),
    );
    const { text, loaded } = await initAndValidate('Parcel', supergraphFile, 'post');
    expect(text).toContain('  key: "sku box { id }"');
    expect(text).toContain('      id: { sku: after.sku, box.id: after.box.id }');
    expect(text).toContain('parcels { sku box { id } }');
    expect(loaded.query.key.map((part) => part.documentPath)).toEqual(['sku', 'box.id']);
  });

  it('names an unknown type with a did-you-mean, and asks for the supergraph an entity without a root field needs', async () => {
    const shop = await loadGraph({ schemaFile: SHOP });
    expect(() => starterConfig({ typeName: 'Prodcut', schema: shop.schema, supergraph: shop.supergraph, supergraphPath: null, gatewayUrl: null, topicPrefix: 'shop' })).toThrow(
      new UserError('Prodcut is not an object type of the graph (did you mean Product?)'),
    );
    expect(() => starterConfig({ typeName: 'User', schema: shop.schema, supergraph: null, supergraphPath: null, gatewayUrl: null, topicPrefix: 'shop' })).toThrow(
      /User has no root field that returns one by its key; pass --schema <supergraph file> to fetch it by its @key/,
    );
  });
});
