import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@apollo/composition';
import { buildSchema, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { OTHER_KEYS_SCHEMA } from '../support/otherKeys.ts';
import { queryTemplate } from '../../src/graph/validateQueryTemplate.ts';
import { searchSubgraphNames, searchSubgraphTypeDefs } from '../../src/search/searchSubgraph.ts';


describe('the search subgraph declares the key with its own type', () => {
  it('an Int key is an Int in the entity reference', () => {
    const typeDefs = searchSubgraphTypeDefs([searchSubgraphNames(queryTemplate(OTHER_KEYS_SCHEMA, 'query ($id: Int!) { review(id: $id) { id body } }'))]);
    expect(print(typeDefs)).toMatch(/type Review @key\(fields: "id", resolvable: false\) \{\s+id: Int!\s+\}/);
    expect(() => buildSubgraphSchema({ typeDefs })).not.toThrow();
  });

  it('a custom scalar key is declared', () => {
    const typeDefs = searchSubgraphTypeDefs([searchSubgraphNames(queryTemplate(OTHER_KEYS_SCHEMA, 'query ($sku: Sku!) { product(sku: $sku) { sku name } }'))]);
    expect(print(typeDefs)).toContain('scalar Sku');
    expect(print(typeDefs)).toMatch(/sku: Sku!/);
    expect(() => buildSubgraphSchema({ typeDefs })).not.toThrow();
  });

  it('a composite key is referred to by all its fields, and several indexes get a search field each', () => {
    const parcel = searchSubgraphNames(queryTemplate(OTHER_KEYS_SCHEMA, 'query ($sku: Sku!, $box: Int!) { parcel(sku: $sku, box: $box) { sku box weight } }'));
    const review = searchSubgraphNames(queryTemplate(OTHER_KEYS_SCHEMA, 'query ($id: Int!) { review(id: $id) { id body } }'));
    const typeDefs = searchSubgraphTypeDefs([parcel, review]);
    const sdl = print(typeDefs);
    expect(sdl).toMatch(/type Parcel @key\(fields: "sku box", resolvable: false\) \{\s+sku: Sku!\s+box: Int!\s+\}/);
    expect(sdl).toContain('searchParcels(');
    expect(sdl).toContain('searchReviews(');
    expect(sdl.match(/type SearchFacet \{/g)).toHaveLength(1);
    expect(() => buildSubgraphSchema({ typeDefs })).not.toThrow();
  });

  it('a union root is declared as the union of its members, each referred to by the key', () => {
    const shipment = searchSubgraphNames(
      queryTemplate(OTHER_KEYS_SCHEMA, 'query ($sku: Sku!, $box: Int!) { shipment(sku: $sku, box: $box) { ... on Parcel { sku box weight } ... on Letter { sku box stamp } } }'),
    );
    expect(shipment).toMatchObject({ entityKind: 'union', possibleTypes: ['Parcel', 'Letter'], queryField: 'searchShipments' });
    const typeDefs = searchSubgraphTypeDefs([shipment]);
    const sdl = print(typeDefs);
    expect(sdl).toContain('union Shipment = Parcel | Letter');
    expect(sdl).toMatch(/type Letter @key\(fields: "sku box", resolvable: false\) \{\s+sku: Sku!\s+box: Int!\s+\}/);
    expect(() => buildSubgraphSchema({ typeDefs })).not.toThrow();
  });

  it('an interface root that is an entity interface (@key on the interface) composes by its implementations', () => {
    const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
    const owner = parse(`${federation}
      type Query { node(id: ID!): Node }
      interface Node @key(fields: "id") { id: ID! name: String! }
      type Product implements Node @key(fields: "id") { id: ID! name: String! price: Int }
      type Bundle implements Node @key(fields: "id") { id: ID! name: String! }`);
    const api = buildSchema(`
      type Query { node(id: ID!): Node }
      interface Node { id: ID! name: String! }
      type Product implements Node { id: ID! name: String! price: Int }
      type Bundle implements Node { id: ID! name: String! }`);
    const names = searchSubgraphNames(queryTemplate(api, 'query ($id: ID!) { node(id: $id) { id name } }'));
    expect(names).toMatchObject({ entityKind: 'interface', possibleTypes: ['Product', 'Bundle'] });
    const composed = composeServices([
      { name: 'owner', url: 'http://owner.invalid/graphql', typeDefs: owner },
      { name: 'search', url: 'http://search.invalid/graphql', typeDefs: searchSubgraphTypeDefs([names]) },
    ]);
    expect(composed.errors?.map((error) => error.message)).toBeUndefined();
  });

  it('refuses two indexes that would be the same search field', () => {
    const review = searchSubgraphNames(queryTemplate(OTHER_KEYS_SCHEMA, 'query ($id: Int!) { review(id: $id) { id body } }'));
    expect(() => searchSubgraphTypeDefs([review, review])).toThrow('two served indexes of Review would both be Query.searchReviews in the search subgraph; set search.field in one of them');
  });
});
