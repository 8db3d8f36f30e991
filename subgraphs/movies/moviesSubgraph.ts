import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { SubgraphModule } from '../shared/subgraphModule.ts';
import { parse, type DocumentNode } from 'graphql';
import type { MovieRow } from '../data/studioRows.ts';
import type { ChangeEventSink } from '../shared/changeEvents.ts';
import { EntityTable } from '../shared/entityTable.ts';
import { connectionOf, PublishingTable } from '../shared/publishingTable.ts';
import { DateTimeScalar } from '../shared/scalars.ts';
import { applyPatch } from '../shared/applyPatch.ts';

export const moviesTypeDefs: DocumentNode = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

type MovieInput = Partial<Omit<MovieRow, 'movieId' | 'updatedAt'>>;

const movieIdOf = (row: MovieRow): string => row.movieId;

/** The movies team's service: the catalogue of titles. */
export function moviesSubgraph(rows: MovieRow[], sink: ChangeEventSink, topic: string): SubgraphModule {
  const movies = new PublishingTable(new EntityTable(movieIdOf, rows), movieIdOf, sink, topic, {
    service: 'movies',
    entity: 'Movie',
  });

  const resolvers: GraphQLResolverMap<unknown> = {
    DateTime: DateTimeScalar,
    Query: {
      movie: (_: unknown, { movieId }: { movieId: string }) => movies.get(movieId) ?? null,
      movies: (_: unknown, { first, after }: { first: number; after?: string | null }) =>
        connectionOf(movies.table, movieIdOf, first, after),
    },
    Movie: {
      __resolveReference: ({ movieId }: { movieId: string }) => movies.get(movieId) ?? null,
    },
    Mutation: {
      createMovie: (_: unknown, { input }: { input: MovieInput & { title: string } }) =>
        movies.save({
          movieId: movies.nextId('mov'),
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
        const before = movies.get(movieId);
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
