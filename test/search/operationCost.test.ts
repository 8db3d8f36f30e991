import { getIntrospectionQuery, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { OPERATION_LIMITS, operationCost, overLimits, type CostScope } from '../../src/search/operationCost.ts';

const SEARCH_FIELDS = new Set(['searchMovies', 'searchShows']);

/** The cost of the document's first operation. */
function costOf(document: string, scope: CostScope = 'operation') {
  const parsed = parse(document);
  const fragments = new Map(
    parsed.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const operation = parsed.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return operationCost(operation, (name) => fragments.get(name), SEARCH_FIELDS, scope);
}

describe('the cost of a search subgraph operation', () => {
  it('counts each alias of a search field as a search, and nothing nested as one', () => {
    expect(costOf('{ a: searchMovies { totalCount } b: searchMovies { totalCount } searchShows { edges { node { __typename } } } }')).toEqual({
      searches: 3,
      fields: 8,
      depth: 4,
    });
  });

  it('counts a fragment wherever it is spread, inline fragments too, in one pass however often', () => {
    expect(costOf('{ ...a ...a ... on Query { searchShows { totalCount } } } fragment a on Query { ...b ...b } fragment b on Query { searchMovies { totalCount } }').searches).toBe(5);
    // 2^40 searches: counted, not enumerated.
    const doubling = Array.from({ length: 40 }, (_, i) => `fragment f${i} on Query { ...f${i + 1} ...f${i + 1} }`).join('\n');
    expect(costOf(`{ ...f0 } ${doubling} fragment f40 on Query { searchMovies { totalCount } }`).searches).toBe(2 ** 40);
  });

  it('survives a fragment cycle (validation refuses it; measuring it must not loop)', () => {
    expect(costOf('{ ...a } fragment a on Query { searchMovies { totalCount } ...b } fragment b on Query { ...a }').searches).toBe(1);
  });

  it('refuses what is over a limit, saying which, and lets the standard introspection query through', () => {
    expect(overLimits({ searches: 6, fields: 12, depth: 2 })).toMatch(/runs 6 searches; at most 5/);
    expect(overLimits({ searches: 1, fields: 12, depth: 21 })).toMatch(/21 deep; at most 20/);
    expect(overLimits({ searches: 1, fields: 501, depth: 3 })).toMatch(/selects 501 fields/);
    expect(overLimits(costOf(getIntrospectionQuery()))).toBeNull();
    expect(overLimits(OPERATION_LIMITS)).toBeNull();
  });

  it('at a gateway measures only the search fields: a batch of entities of other subgraphs is no search', () => {
    const batch = `{ ${Array.from({ length: 100 }, (_, i) => `m${i}: movie(movieId: "${i}") { title genres cast { role talent { name } } }`).join(' ')} }`;
    expect(overLimits(costOf(batch))).toMatch(/selects 700 fields/);
    expect(costOf(batch, 'searches')).toEqual({ searches: 0, fields: 0, depth: 0 });
    const mixed = `{ movie(movieId: "1") { title } ...f } fragment f on Query { searchMovies { totalCount } }`;
    expect(costOf(mixed, 'searches')).toEqual({ searches: 1, fields: 2, depth: 2 });
    const aliases = `{ ${Array.from({ length: 6 }, (_, i) => `s${i}: searchMovies { totalCount }`).join(' ')} }`;
    expect(overLimits(costOf(aliases, 'searches'))).toMatch(/runs 6 searches/);
  });
});
