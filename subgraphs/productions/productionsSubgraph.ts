import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { SubgraphModule } from '../shared/subgraphModule.ts';
import { parse, type DocumentNode } from 'graphql';
import type { ProductionRow, ProductionStatus, ShootingLocation } from '../data/studioRows.ts';
import { applyPatch } from '../shared/applyPatch.ts';
import { connectionOf, type TeamTable } from '../shared/teamTable.ts';
import { DateScalar } from '../shared/scalars.ts';

export const productionsTypeDefs: DocumentNode = parse(
  readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'),
);

interface ProductionInput {
  movieId: string;
  status: ProductionStatus;
  shootingLocations?: ShootingLocation[] | null;
  budget?: number | null;
  startDate?: string | null;
}

const ptpIdOf = (row: ProductionRow): string => row.ptpId;

/** The productions team's service: physical productions, linked to the movie they make. */
export function productionsSubgraph(productions: TeamTable<ProductionRow>): SubgraphModule {
  // The movie → production link is this team's data: a movie's production is the latest made for it.
  const productionOf = async (movieId: string): Promise<ProductionRow | null> => (await productions.where('movieId', movieId)).at(-1) ?? null;

  const resolvers: GraphQLResolverMap<unknown> = {
    Date: DateScalar,
    Query: {
      production: async (_: unknown, { ptpId }: { ptpId: string }) => (await productions.get(ptpId)) ?? null,
      productions: (_: unknown, { first, after }: { first: number; after?: string | null }) => connectionOf(productions, ptpIdOf, first, after),
    },
    Production: {
      __resolveReference: async ({ ptpId }: { ptpId: string }) => (await productions.get(ptpId)) ?? null,
      movie: (production: ProductionRow) => ({ __typename: 'Movie', movieId: production.movieId }),
    },
    Movie: {
      __resolveReference: ({ movieId }: { movieId: string }) => ({ movieId }),
      production: ({ movieId }: { movieId: string }) => productionOf(movieId),
    },
    Mutation: {
      createProduction: async (_: unknown, { input }: { input: ProductionInput }) => {
        const row: ProductionRow = {
          ptpId: await productions.nextId('ptp'),
          movieId: input.movieId,
          status: input.status,
          shootingLocations: (input.shootingLocations ?? []).map((l) => ({ ...l, stage: l.stage ?? null })),
          vendors: [],
          budget: input.budget ?? null,
          startDate: input.startDate ?? null,
        };
        return productions.save(row);
      },
      updateProduction: async (_: unknown, { ptpId, patch }: { ptpId: string; patch: Partial<ProductionRow> }) => {
        const before = await productions.get(ptpId);
        if (!before) return null;
        return productions.save(applyPatch(before, patch, ['status', 'shootingLocations']));
      },
      deleteProduction: async (_: unknown, { ptpId }: { ptpId: string }) => (await productions.remove(ptpId)) !== undefined,
    },
  };
  return { typeDefs: productionsTypeDefs, resolvers };
}
