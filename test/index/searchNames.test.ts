// The search subgraph's names for an index, checked against the graph's own fields and types.
import { buildSchema, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parseIndexConfig } from '../../src/config/loadIndexConfig.ts';
import { checkIndexAgainstSchema } from '../../src/index/loadIndex.ts';
import { searchNameCollisions } from '../../src/index/searchNames.ts';
import { searchSubgraphNames, searchSubgraphTypeDefs } from '../../src/search/searchSubgraph.ts';

const GRAPH = `
  type Query { order(orderId: ID!): Order searchOrders(text: String!): [Order!]! }
  type Order { orderId: ID! status: String! }
  "The graph's own facet type: not the search subgraph's."
  type SearchFacet { name: String! }
`;

function orders(search: string): ReturnType<typeof checkIndexAgainstSchema> {
  const text = `index: orders
gateway: { url: http://127.0.0.1:4000/graphql }
query: |
  query ($orderId: ID!) { order(orderId: $orderId) { orderId status } }
primary:
  type: Order
  events:
    - { topic: shop.order.changes, id: after.orderId }
${search}`;
  return checkIndexAgainstSchema(parseIndexConfig(text, 'orders.yaml', {}), buildSchema(GRAPH));
}

describe('search names', () => {
  it('says to set search.field and search.typePrefix where the derived names are the graph\'s own', () => {
    const loaded = orders('');
    expect(searchNameCollisions(loaded.config, loaded.schema, 'Order').map(({ field, position, message }) => ({ field, line: position.line, message }))).toEqual([
      { field: 'primary.type', line: 6, message: 'the search field for Order, Query.searchOrders, is already a field of the graph; set search.field to another name, e.g. search: { field: findOrders }' },
      { field: 'primary.type', line: 6, message: 'the graph already has a type named SearchFacet, which the search subgraph declares; set search.typePrefix (e.g. search: { typePrefix: OrderIndex })' },
    ]);
  });

  it('accepts free names, and the subgraph then declares every type with the prefix', () => {
    const loaded = orders('search: { field: findOrders, typePrefix: Shop }\n');
    expect(searchNameCollisions(loaded.config, loaded.schema, 'Order')).toEqual([]);
    const sdl = print(searchSubgraphTypeDefs([searchSubgraphNames(loaded.query, loaded.config.search)]));
    expect(sdl).toContain('findOrders(query: String, filter: String, facets: [String!], selected: [ShopSearchFacetSelection!], first: Int = 10, after: String): ShopSearchConnection!');
    for (const type of ['ShopSearchEdge', 'ShopSearchHighlight', 'ShopSearchFacet', 'ShopSearchFacetValue', 'ShopSearchPageInfo']) expect(sdl).toContain(`type ${type} `);
    expect(sdl).not.toMatch(/type SearchFacet\b/);
  });

  it('refuses, at its line, a configured field the graph already has', () => {
    const loaded = orders('search:\n  field: order\n');
    expect(searchNameCollisions(loaded.config, loaded.schema, 'Order')).toMatchObject([
      { field: 'search.field', position: { line: 10, col: 3 }, message: 'Query.order is already a field of the graph; choose another name, e.g. findOrders' },
      { field: 'primary.type' },
    ]);
  });
});
