import { buildSubgraphSchema } from '@apollo/subgraph';
import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { OTHER_KEYS_SCHEMA } from '../support/otherKeys.ts';
import { queryTemplate } from '../../src/graph/validateQueryTemplate.ts';
import { searchSubgraphNames, searchSubgraphTypeDefs } from '../../src/search/searchSubgraph.ts';


describe('the search subgraph declares the key with its own type', () => {
  it('an Int key is an Int in the entity reference', () => {
    const typeDefs = searchSubgraphTypeDefs(searchSubgraphNames(queryTemplate(OTHER_KEYS_SCHEMA, 'query ($id: Int!) { review(id: $id) { id body } }')));
    expect(print(typeDefs)).toMatch(/type Review @key\(fields: "id", resolvable: false\) \{\s+id: Int!\s+\}/);
    expect(() => buildSubgraphSchema({ typeDefs })).not.toThrow();
  });

  it('a custom scalar key is declared', () => {
    const typeDefs = searchSubgraphTypeDefs(searchSubgraphNames(queryTemplate(OTHER_KEYS_SCHEMA, 'query ($sku: Sku!) { product(sku: $sku) { sku name } }')));
    expect(print(typeDefs)).toContain('scalar Sku');
    expect(print(typeDefs)).toMatch(/sku: Sku!/);
    expect(() => buildSubgraphSchema({ typeDefs })).not.toThrow();
  });
});
