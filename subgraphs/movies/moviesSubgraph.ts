import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { SubgraphModule } from '../shared/subgraphModule.ts';
import { parse, type DocumentNode } from 'graphql';
import type { MovieRow } from '../data/studioRows.ts';
import { connectionOf, type TeamTable } from '../shared/teamTable.ts';
import { DateTimeScalar } from '../shared/scalars.ts';
import { applyPatch } from '../shared/applyPatch.ts';

export const moviesTypeDefs: DocumentNode = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

type MovieInput = Partial<Omit<MovieRow, 'movieId' | 'updatedAt'>>;

const movieIdOf = (row: MovieRow): string => row.movieId;

/** The movies team's service: the catalogue of titles. */
export function moviesSubgraph(movies: TeamTable<MovieRow>): SubgraphModule {
  const resolvers: GraphQLResolverMap<unknown> = {
    DateTime: DateTimeScalar,
    Query: {
      movie: async (_: unknown, { movieId }: { movieId: string }) => (await movies.get(movieId)) ?? null,
      movies: (_: unknown, { first, after }: { first: number; after?: string | null }) => connectionOf(movies, movieIdOf, first, after),
    },
    Movie: {
      __resolveReference: async ({ movieId }: { movieId: string }) => (await movies.get(movieId)) ?? null,
    },
    Mutation: {
      createMovie: async (_: unknown, { input }: { input: MovieInput & { title: string } }) =>
        movies.save({
          movieId: await movies.nextId('mov'),
          title: input.title,
          synopsis: input.synopsis ?? null,
          genres: input.genres ?? [],
          releaseYear: input.releaseYear ?? null,
          runtimeMinutes: input.runtimeMinutes ?? null,
          originalLanguage: input.originalLanguage ?? 'en',
          rating: input.rating ?? null,
          updatedAt: new Date().toISOString(),
        }),
      updateMovie: async (_: unknown, { movieId, patch }: { movieId: string; patch: MovieInput }) => {
        const before = await movies.get(movieId);
        if (!before) return null;
        return movies.save({
          ...applyPatch<MovieRow>(before, patch, ['title', 'genres', 'originalLanguage']),
          updatedAt: new Date().toISOString(),
        });
      },
      deleteMovie: async (_: unknown, { movieId }: { movieId: string }) => (await movies.remove(movieId)) !== undefined,
    },
  };
  return { typeDefs: moviesTypeDefs, resolvers };
}
