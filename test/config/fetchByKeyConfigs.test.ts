// Configs that fetch by @key (a fragment query over a supergraph), checked against the shop graph:
// the shipped ones pass, and each mistake a user can make is named with its line and column.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../src/config/configError.ts';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { decodeId, encodeId, idOfDocument, type KeyPart } from '../../src/graph/entityKey.ts';
import { loadGraph } from '../../src/graph/loadGraphSchema.ts';
import { readSupergraph } from '../../src/graph/supergraph.ts';
import { checkIndexAgainstSchema, type LoadedIndex } from '../../src/index/loadIndex.ts';
import { ApolloServer } from '@apollo/server';
import { checkSearchSubgraphComposes, searchSubgraphSdl } from '../../src/search/searchSubgraphComposition.ts';
import { searchSubgraph } from '../../src/search/searchSubgraph.ts';
import type { SearchService } from '../../src/search/searchService.ts';

const configFile = (name: string): string => new URL(`../../index-configs/${name}.yaml`, import.meta.url).pathname;
const SHOP_SUPERGRAPH = new URL('../../subgraphs/shop/supergraph.graphql', import.meta.url).pathname;
const MOVIES_SUPERGRAPH = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;

/** The config at `name` with `edits` applied, checked as `validate` checks it (the file's own folder resolves the supergraph). */
async function check(name: string, edits: Array<[string, string]> = [], withSupergraph = true): Promise<{ loaded: LoadedIndex | null; problems: string[] }> {
  let text = readFileSync(configFile(name), 'utf8');
  for (const [from, to] of edits) {
    const edited = text.replace(from, to);
    expect(edited, `edit ${from} must change the file`).not.toBe(text);
    text = edited;
  }
  try {
    const config = parseIndexConfig(text, configFile(name), {});
    // Without one, the schema is what a gateway's introspection gives: no subgraphs, no @keys.
    const graph = await loadGraph(withSupergraph ? { gateway: config.gateway } : { schemaFile: SHOP_SUPERGRAPH });
    return { loaded: checkIndexAgainstSchema(config, graph.schema, withSupergraph ? graph.supergraph : null), problems: [] };
  } catch (error) {
    if (error instanceof ConfigError) return { loaded: null, problems: error.problems.map((problem) => formatProblem(problem).replace(/^.*index-configs\//, '')) };
    throw error;
  }
}

describe('fetch by @key configs', () => {
  it('accepts the shipped shop configs: a composite key chosen by name, and the first key by default', async () => {
    const products = await check('shop-products');
    expect(products.problems).toEqual([]);
    expect(products.loaded?.query.fetchByKey).toMatchObject({ typeName: 'Product', keyFields: 'sku package', entryField: '_fedsearch_Product' });
    // The key fields are added to the document although the fragment does not select them.
    expect(products.loaded?.fields.slice(0, 2).map((field) => field.path)).toEqual(['sku', 'package']);
    const users = await check('shop-users');
    expect(users.problems).toEqual([]);
    expect(users.loaded?.query.key).toEqual([{ variable: 'email', argument: 'email', documentPath: 'email', typeName: 'ID', kind: 'string' }]);
  });

  it('derives what a hit shows from the fields when the config has no display:, and checks a display: it has', async () => {
    expect((await check('shop-products')).loaded?.display).toEqual({ title: 'name', subtitle: ['createdBy.name'], detail: ['reviews.body'] });
    expect((await check('shop-users')).loaded?.display).toEqual({ title: 'name', subtitle: [], detail: ['reviews.body'] });
    const { problems } = await check('shop-products', [['\nelasticsearch:', '\ndisplay:\n  title: nam\n  subtitle: [inStock, createdBy.email]\n\nelasticsearch:']]);
    expect(problems).toEqual(['shop-products.yaml:53:3: display.title: nam is not a field of the document (did you mean name?)']);
  });

  it('takes a nested composite key, each field an argument of the entry point', async () => {
    const { loaded, problems } = await check('shop-products', [
      ['key: sku package', 'key: "sku variation { id }"'],
      ['    - topic: shop.inventory.changes\n      id: { sku: after.sku, package: after.package }\n', ''],
      ['id: { sku: after.sku, package: after.package }', 'id: { sku: after.sku, variation.id: after.variationId }'],
    ]);
    expect(problems).toEqual([]);
    expect(loaded?.query.key.map((part) => [part.argument, part.documentPath])).toEqual([['sku', 'sku'], ['variation_id', 'variation.id']]);

    // The search subgraph refers to such a product with the key's inner object, and composes.
    const index = loaded as LoadedIndex;
    const sdl = searchSubgraphSdl([index]);
    expect(sdl).toContain('type Product @key(fields: "sku variation { id }", resolvable: false) {\n  sku: String!\n  variation: ProductVariation!\n}');
    expect(sdl).toContain('type ProductVariation {\n  id: ID! @shareable\n}');
    expect(checkSearchSubgraphComposes([index])).toEqual({ supergraph: SHOP_SUPERGRAPH });
    const hits = { total: 1, hits: [{ id: '{"sku":"rover","variation.id":"cli"}', score: 1, document: {}, highlights: {} }], facets: {}, nextCursor: null };
    const subgraph = new ApolloServer({ schema: searchSubgraph([{ service: { search: async () => hits } as unknown as SearchService, query: index.query }]) });
    const answer = await subgraph.executeOperation({ query: '{ searchProducts { edges { node { __typename sku variation { id } } } } }' });
    expect(answer.body).toMatchObject({ kind: 'single', singleResult: { data: { searchProducts: { edges: [{ node: { __typename: 'Product', sku: 'rover', variation: { id: 'cli' } } }] } } } });
  });

  it.each<{ name: string; config?: string; edits: Array<[string, string]>; problems: string[]; withSupergraph?: false }>([
    {
      name: 'a key the type does not have',
      edits: [['key: sku package', 'key: sku packages']],
      problems: ['shop-products.yaml:28:3: primary.key: "sku packages" is not a resolvable @key of Product; its keys are "sku package", "sku variation { id }" (did you mean "sku package"?)'],
    },
    {
      name: 'a type that is no entity',
      edits: [['fragment Product on Product', 'fragment ProductVariation on ProductVariation'], ['type: Product', 'type: ProductVariation'], ['  key: sku package\n', '']],
      problems: ['shop-products.yaml:26:3: primary.type: ProductVariation is not an entity: no subgraph declares @key on it, so it cannot be fetched by key'],
    },
    {
      name: 'a fragment without a supergraph',
      edits: [['  supergraph: ../subgraphs/shop/supergraph.graphql\n', '  url: http://127.0.0.1:4100/graphql\n']],
      withSupergraph: false,
      problems: ['shop-products.yaml:17:3: query: a fragment query fetches Product by its @key, which needs the composed supergraph: set gateway.supergraph: <file> (or pass --schema <supergraph file>)'],
    },
    {
      name: 'a supergraph file that is not there',
      edits: [['../subgraphs/shop/supergraph.graphql', '../subgraphs/shop/nowhere.graphql']],
      problems: [`shop-products.yaml:7:3: gateway.supergraph: cannot read ${new URL('../../subgraphs/shop/nowhere.graphql', import.meta.url).pathname}: no such file`],
    },
    {
      name: 'one id path for a composite key',
      edits: [['id: { sku: after.sku, package: after.package }\n    - topic: shop.inventory', 'id: after.sku\n    - topic: shop.inventory']],
      problems: ["shop-products.yaml:30:7: primary.events[0].id: Product's key has 2 fields (sku, package): give a path for each, e.g. id: { sku: after.sku, package: after.package }"],
    },
    {
      name: 'id paths that are not the key fields',
      edits: [['id: { sku: after.sku, package: after.package }\n    - topic: shop.inventory', 'id: { sku: after.sku, pkg: after.package }\n    - topic: shop.inventory']],
      problems: ["shop-products.yaml:30:7: primary.events[0].id: names sku, pkg, but Product's key is sku, package (missing package) (not key fields: pkg)"],
    },
    {
      name: 'a key chosen for a root-field query',
      config: 'shop-users',
      edits: [['fragment User on User {', 'query U($email: ID!) { _fedsearch_User(email: $email) {'], ['    reviews { id stars body }\n  }', '    reviews { id stars body }\n  } }'], ['  type: User\n', '  type: User\n  key: email\n']],
      problems: ['shop-users.yaml:22:3: primary.key: a key is chosen only for a fragment query (fetch by @key); a query operation takes its key as variables'],
    },
    {
      name: 'a related lookup on a field that is not the related type\'s @key',
      config: 'shop-products',
      edits: [['    lookup: createdBy.email', '    lookup: createdBy.name']],
      problems: ['shop-products.yaml:40:5: related[0].lookup: name is not a @key of User (its keys: "email"), so its reverse lookups would never match (did you mean createdBy.email?)'],
    },
    {
      name: 'a related type that is no entity',
      config: 'shop-products',
      edits: [['  - type: User\n', '  - type: ProductVariation\n'], ['    lookup: createdBy.email', '    lookup: variation.id']],
      problems: ['shop-products.yaml:36:5: related[0].type: ProductVariation is not an entity (no subgraph declares @key on it): its change events cannot name it by a key the documents hold'],
    },
    {
      name: 'a composite lookup on a path the document does not hold',
      config: 'shop-catalog',
      edits: [['lookup: { sku: items.sku, package: items.package }', 'lookup: { sku: items.skus, package: items.package }']],
      problems: ["shop-catalog.yaml:47:5: related[1].lookup.sku: items.skus is not a scalar field of the query's document (did you mean items.sku?)"],
    },
    {
      name: 'a composite lookup that is not a @key of the related type',
      config: 'shop-catalog',
      edits: [['lookup: { sku: items.sku, package: items.package }', 'lookup: { sku: items.sku, name: items.name }'], ['        id: { sku: after.sku, package: after.package }\n    lookup', '        id: { sku: after.sku, name: after.name }\n    lookup']],
      problems: ['shop-catalog.yaml:47:5: related[1].lookup: sku name is not a @key of Product (its keys: "sku package", "sku variation { id }"), so its reverse lookups would never match'],
    },
    {
      name: 'related events that name other key fields than the lookup reads',
      config: 'shop-catalog',
      edits: [['        id: { sku: after.sku, package: after.package }\n    lookup', '        id: after.sku\n    lookup']],
      problems: ['shop-catalog.yaml:45:9: related[1].events[0].id: the lookup reads 2 key fields of Product (sku, package): give an event path for each, e.g. id: { sku: after.sku, package: after.package }'],
    },
    {
      name: 'a composite key read from two objects',
      config: 'shop-catalog',
      edits: [['lookup: { sku: items.sku, package: items.package }', 'lookup: { sku: items.sku, package: package }']],
      problems: ['shop-catalog.yaml:47:5: related[1].lookup: the fields of a composite key must be read from one object, found items.sku, package'],
    },
    {
      name: 'a fragment on another type than primary.type',
      config: 'shop-users',
      edits: [['type: User', 'type: Review']],
      problems: ['shop-users.yaml:14:3: query: a query without an operation must be one fragment on primary.type (`fragment Review on Review { … }`), found 0 on Review'],
    },
  ])('$name', async ({ config, edits, problems, withSupergraph }) => {
    expect((await check(config ?? 'shop-products', edits, withSupergraph ?? true)).problems).toEqual(problems);
  });

  it('resolves a related lookup by composite key, given field by field or as the object holding the fields its events name', async () => {
    const byField = await check('shop-catalog');
    expect(byField.problems).toEqual([]);
    expect(byField.loaded?.relatedLookups[1]).toMatchObject({ type: 'Product', paths: ['items.sku', 'items.package'], key: [{ documentPath: 'sku' }, { documentPath: 'package' }] });
    const byObject = await check('shop-catalog', [['lookup: { sku: items.sku, package: items.package }', 'lookup: items']]);
    expect(byObject.problems).toEqual([]);
    expect(byObject.loaded?.relatedLookups[1]?.paths).toEqual(['items.sku', 'items.package']);
    // The concrete types a document of the interface can be.
    expect(byField.loaded?.query.possibleTypes.sort()).toEqual(['Bundle', 'Product']);
  });

  it('declares an interface root in the search subgraph by its implementations, and composes it with the shop graph beside the products index', async () => {
    const catalog = (await check('shop-catalog')).loaded as LoadedIndex;
    const products = (await check('shop-products')).loaded as LoadedIndex;
    const sdl = searchSubgraphSdl([catalog, products]);
    expect(sdl).toMatch(/interface ProductItf \{\s+sku: String!\s+package: String!\s+\}/);
    expect(sdl).toContain('type Bundle implements ProductItf @key(fields: "sku package", resolvable: false)');
    // Product: once, for both indexes.
    expect(sdl.match(/type Product /g)).toHaveLength(1);
    expect(sdl).toContain('searchProductItfs(');
    expect(checkSearchSubgraphComposes([catalog, products])).toEqual({ supergraph: SHOP_SUPERGRAPH });
  });

  it('says a subgraph SDL is not a supergraph, and how to make one', () => {
    expect(() => readSupergraph(new URL('../../subgraphs/movies/schema.graphql', import.meta.url).pathname)).toThrow(/is not a composed supergraph .*compose your subgraphs first/);
    expect(readSupergraph(MOVIES_SUPERGRAPH).subgraphs.map((subgraph) => subgraph.name).sort()).toEqual(['movies', 'productions', 'search', 'talent']);
    expect(readSupergraph(SHOP_SUPERGRAPH).subgraphs).toHaveLength(4);
  });
});

describe('entity ids', () => {
  const one: KeyPart[] = [{ variable: 'id', argument: 'id', documentPath: 'id', typeName: 'ID', kind: 'string' }];
  const composite: KeyPart[] = [
    { variable: 'sku', argument: 'sku', documentPath: 'sku', typeName: 'String', kind: 'string' },
    { variable: 'variation_id', argument: 'variation_id', documentPath: 'variation.id', typeName: 'Int', kind: 'int' },
  ];

  it('a one-field key is its value; a composite key a JSON object in key order, stable and reversible', () => {
    expect(encodeId(one, ['mov-1'])).toBe('mov-1');
    const id = encodeId(composite, ['s-1', 7]);
    expect(id).toBe('{"sku":"s-1","variation.id":7}');
    expect(decodeId(composite, id)).toEqual({ values: ['s-1', 7] });
    // The same key however its fields are ordered or typed in the id given: the same values.
    expect(decodeId(composite, '{"variation.id":"7","sku":"s-1"}')).toEqual({ values: ['s-1', 7] });
    expect(idOfDocument(composite, { sku: 's-1', variation: { id: 7 }, name: 'x' })).toBe(id);
    expect(idOfDocument(composite, { sku: 's-1' })).toBeNull();
  });
});
