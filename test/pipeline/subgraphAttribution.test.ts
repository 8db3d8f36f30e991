import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGraphSchema } from '../../src/graph/loadGraphSchema.ts';
import { NO_OWNERS, responsePathOwners, type ResponsePathOwners } from '../../src/graph/responsePathOwners.ts';
import { attributeError, latencySubgraph } from '../../src/pipeline/subgraphAttribution.ts';
import { movieTemplate } from './gatewayFakes.ts';

const SUPERGRAPH = new URL('../../subgraphs/supergraph.graphql', import.meta.url).pathname;
const QUERY = `query Movie($id: ID!) {
  movie(movieId: $id) {
    movieId title
    production { ptpId status shootingLocations { city } }
    people: cast { role talent { name } }
  }
}`;

/** A gateway error's path mapped through the query plan to the team that owns it. */
describe('subgraph attribution', () => {
  let owners: ResponsePathOwners;
  beforeAll(async () => {
    const template = await movieTemplate(QUERY);
    owners = responsePathOwners(await loadGraphSchema({ schemaFile: SUPERGRAPH }), template, readFileSync(SUPERGRAPH, 'utf8'));
  });

  it('maps each path of the query, list indexes and aliases as the answer has them, to the subgraph that resolves it', () => {
    expect(owners.ownerOf([])).toBe('movies');
    expect(owners.ownerOf(['title'])).toBe('movies');
    expect(owners.ownerOf(['production', 'shootingLocations', 2, 'city'])).toBe('productions');
    expect(owners.ownerOf(['people', 0, 'talent', 'name'])).toBe('talent');
    // A path deeper than the query selects is its deepest selected field's.
    expect(owners.ownerOf(['production', 'nothing', 'here'])).toBe('productions');
    expect(owners.subgraphs).toEqual(['movies', 'productions', 'talent']);
  });

  it('takes the subgraph the gateway names first, then the owner of the path, then the gateway', () => {
    expect(attributeError({ message: 'x', extensions: { serviceName: 'productions', code: 'BAD' } }, ['people', 0], owners)).toEqual({
      subgraph: 'productions',
      path: 'people.0',
      code: 'BAD',
    });
    // Apollo Router says `service`.
    expect(attributeError({ message: 'x', extensions: { service: 'talent' } }, [], owners).subgraph).toBe('talent');
    expect(attributeError({ message: 'Cannot return null for non-nullable field' }, ['people', 1, 'talent', 'name'], owners)).toEqual({
      subgraph: 'talent',
      path: 'people.1.talent.name',
      code: 'GRAPHQL_ERROR',
    });
    expect(attributeError({ message: 'query plan failed' }, null, owners)).toEqual({ subgraph: '(gateway)', path: '', code: 'GRAPHQL_ERROR' });
  });

  it('knows nobody without a supergraph (a gateway read by introspection): all is the gateway’s', () => {
    expect(attributeError({ message: 'x' }, ['title'], NO_OWNERS).subgraph).toBe('(gateway)');
    expect(latencySubgraph(NO_OWNERS)).toBe('(gateway)');
    expect(latencySubgraph(owners)).toBe('(gateway)');
    expect(latencySubgraph({ ownerOf: () => 'movies', subgraphs: ['movies'] })).toBe('movies');
  });
});
