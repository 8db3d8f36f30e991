import { readFileSync } from 'node:fs';
import { Supergraph, printSchema } from '@apollo/federation-internals';
import { buildSchema, execute, parse } from 'graphql';
import type { FieldOptions } from '../../src/config/indexConfig.ts';
import { generateStudio } from '../../subgraphs/data/generateStudio.ts';

// The demo movie index: its graph, query, field options and documents, for the generator tests.

// The schema clients of the demo gateway see: the supergraph without its join machinery. Rebuilt
// from SDL because federation-internals is CommonJS: its graphql-js objects come from the other
// build of graphql and fail our (ESM) graphql's instanceof checks.
export const apiSchema = buildSchema(
  printSchema(Supergraph.build(readFileSync(new URL('../../subgraphs/supergraph.graphql', import.meta.url), 'utf8')).apiSchema()),
);

export const MOVIE_QUERY = parse(`
  query Movie($id: ID!) {
    movie(movieId: $id) {
      movieId
      title
      genres
      production {
        ptpId
        status
        startDate
        vendors { name }
        budget
        shootingLocations { city country }
      }
      cast { role talent { talentId name } }
    }
  }
`);

export const MOVIE_FIELDS: Record<string, FieldOptions> = {
  title: { suggest: true },
  genres: { facet: true },
  cast: { nested: true },
  'cast.talent.name': { analyzer: 'name', suggest: true },
};

/**
 * What the gateway answers for each movie of a generated studio: the query executed over the
 * studio's rows joined the way the three subgraphs join them.
 */
export function gatewayDocuments(movieCount: number): Record<string, unknown>[] {
  const studio = generateStudio({ movies: movieCount });
  // Every generated movie has a production; leave some out so documents with a null one occur too.
  const productionByMovie = new Map(
    studio.productions.filter((_, n) => n % 10 !== 3).map((production) => [production.movieId, production]),
  );
  const talentById = new Map(studio.talent.map((talent) => [talent.talentId, talent]));
  const movie = ({ movieId }: { movieId: string }): unknown => {
    const row = studio.movies.find((candidate) => candidate.movieId === movieId);
    if (row === undefined) return null;
    const cast = studio.credits
      .filter((credit) => credit.movieId === movieId)
      .sort((a, b) => a.billing - b.billing)
      .map((credit) => ({ ...credit, talent: talentById.get(credit.talentId) }));
    return { ...row, production: productionByMovie.get(movieId) ?? null, cast };
  };
  return studio.movies.map(({ movieId }) => {
    const result = execute({ schema: apiSchema, document: MOVIE_QUERY, rootValue: { movie }, variableValues: { id: movieId } });
    if ('then' in result) throw new Error('resolvers are synchronous');
    if (result.errors !== undefined) throw new Error(result.errors.map((error) => error.message).join('\n'));
    return result.data?.['movie'] as Record<string, unknown>;
  });
}
