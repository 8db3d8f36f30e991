import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { SubgraphModule } from '../shared/subgraphModule.ts';
import { parse, type DocumentNode } from 'graphql';
import type { ProductionRow, ProductionStatus, ShootingLocation } from '../data/studioRows.ts';
import { applyPatch } from '../shared/applyPatch.ts';
import type { ChangeEventSink } from '../shared/changeEvents.ts';
import { EntityTable } from '../shared/entityTable.ts';
import { connectionOf, PublishingTable } from '../shared/publishingTable.ts';
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
export function productionsSubgraph(rows: ProductionRow[], sink: ChangeEventSink, topic: string): SubgraphModule {
  const productions = new PublishingTable(new EntityTable(ptpIdOf, rows), ptpIdOf, sink, topic, {
    service: 'productions',
    entity: 'Production',
  });
  // The movie → production link is this team's data; keep it indexed both ways.
  const byMovie = new Map(rows.map((row) => [row.movieId, row.ptpId]));

  const resolvers: GraphQLResolverMap<unknown> = {
    Date: DateScalar,
    Query: {
      production: (_: unknown, { ptpId }: { ptpId: string }) => productions.get(ptpId) ?? null,
      productions: (_: unknown, { first, after }: { first: number; after?: string | null }) =>
        connectionOf(productions.table, ptpIdOf, first, after),
    },
    Production: {
      __resolveReference: ({ ptpId }: { ptpId: string }) => productions.get(ptpId) ?? null,
      movie: (production: ProductionRow) => ({ __typename: 'Movie', movieId: production.movieId }),
    },
    Movie: {
      __resolveReference: ({ movieId }: { movieId: string }) => ({ movieId }),
      production: ({ movieId }: { movieId: string }) => {
        const ptpId = byMovie.get(movieId);
        return ptpId === undefined ? null : (productions.get(ptpId) ?? null);
      },
    },
    Mutation: {
      createProduction: async (_: unknown, { input }: { input: ProductionInput }) => {
        const row: ProductionRow = {
          ptpId: productions.nextId('ptp'),
          movieId: input.movieId,
          status: input.status,
          shootingLocations: (input.shootingLocations ?? []).map((l) => ({ ...l, stage: l.stage ?? null })),
          vendors: [],
          budget: input.budget ?? null,
          startDate: input.startDate ?? null,
        };
        await productions.save(row);
        byMovie.set(row.movieId, row.ptpId);
        return row;
      },
      updateProduction: async (_: unknown, { ptpId, patch }: { ptpId: string; patch: Partial<ProductionRow> }) => {
        const before = productions.get(ptpId);
        if (!before) return null;
        return productions.save(applyPatch(before, patch, ['status', 'shootingLocations']));
      },
      deleteProduction: async (_: unknown, { ptpId }: { ptpId: string }) => {
        const removed = await productions.remove(ptpId);
        if (removed && byMovie.get(removed.movieId) === ptpId) byMovie.delete(removed.movieId);
        return removed !== undefined;
      },
    },
  };
  return { typeDefs: productionsTypeDefs, resolvers };
}
