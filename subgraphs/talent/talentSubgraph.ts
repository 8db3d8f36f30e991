import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { SubgraphModule } from '../shared/subgraphModule.ts';
import { GraphQLError, parse, type DocumentNode } from 'graphql';
import type { CreditRow, TalentRole, TalentRow } from '../data/studioRows.ts';
import { applyPatch } from '../shared/applyPatch.ts';
import type { ChangeEventSink, StudioTopics } from '../shared/changeEvents.ts';
import { EntityTable } from '../shared/entityTable.ts';
import { connectionOf, PublishingTable } from '../shared/publishingTable.ts';

export const talentTypeDefs: DocumentNode = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

interface TalentInput {
  name: string;
  roles?: TalentRole[] | null;
  birthYear?: number | null;
  homeCountry?: string | null;
}

interface CreditInput {
  movieId: string;
  talentId: string;
  role: TalentRole;
  character?: string | null;
}

const talentIdOf = (row: TalentRow): string => row.talentId;
const creditIdOf = (row: CreditRow): string => row.creditId;

/**
 * The talent team's service: people, and their credits on movies. A change to a person is a
 * talent event; a change to who is in a movie is a credit event (keyed by credit id, carrying
 * the movie id), since the movie's cast changed.
 */
export function talentSubgraph(
  studio: { talent: TalentRow[]; credits: CreditRow[] },
  sink: ChangeEventSink,
  topics: Pick<StudioTopics, 'talent' | 'credit'>,
): SubgraphModule {
  const talent = new PublishingTable(new EntityTable(talentIdOf, studio.talent), talentIdOf, sink, topics.talent, {
    service: 'talent',
    entity: 'Talent',
  });
  const credits = new PublishingTable(new EntityTable(creditIdOf, studio.credits), creditIdOf, sink, topics.credit, {
    service: 'talent',
    entity: 'Credit',
  });
  const creditsByMovie = new Map<string, Set<string>>();
  const creditsByTalent = new Map<string, Set<string>>();
  const link = (row: CreditRow): void => {
    addTo(creditsByMovie, row.movieId, row.creditId);
    addTo(creditsByTalent, row.talentId, row.creditId);
  };
  const unlink = (row: CreditRow): void => {
    creditsByMovie.get(row.movieId)?.delete(row.creditId);
    creditsByTalent.get(row.talentId)?.delete(row.creditId);
  };
  studio.credits.forEach(link);

  const castOf = (movieId: string): CreditRow[] =>
    [...(creditsByMovie.get(movieId) ?? [])]
      .map((creditId) => credits.get(creditId))
      .filter((row): row is CreditRow => row !== undefined)
      .sort((a, b) => a.billing - b.billing);

  const resolvers: GraphQLResolverMap<unknown> = {
    Query: {
      talent: (_: unknown, { talentId }: { talentId: string }) => talent.get(talentId) ?? null,
      talents: (_: unknown, { first, after }: { first: number; after?: string | null }) =>
        connectionOf(talent.table, talentIdOf, first, after),
    },
    Talent: {
      __resolveReference: ({ talentId }: { talentId: string }) => talent.get(talentId) ?? null,
    },
    CastMember: {
      // A credit whose person was deleted cannot occur: deleteTalent removes the credits first.
      talent: (credit: CreditRow) => talent.get(credit.talentId),
    },
    Movie: {
      __resolveReference: ({ movieId }: { movieId: string }) => ({ movieId }),
      cast: ({ movieId }: { movieId: string }) => castOf(movieId),
    },
    Mutation: {
      createTalent: (_: unknown, { input }: { input: TalentInput }) =>
        talent.save({
          talentId: talent.nextId('tal'),
          name: input.name,
          roles: input.roles ?? [],
          birthYear: input.birthYear ?? null,
          homeCountry: input.homeCountry ?? null,
        }),
      updateTalent: async (_: unknown, { talentId, patch }: { talentId: string; patch: Partial<TalentRow> }) => {
        const before = talent.get(talentId);
        if (!before) return null;
        return talent.save(applyPatch(before, patch, ['name', 'roles']));
      },
      deleteTalent: async (_: unknown, { talentId }: { talentId: string }) => {
        if (!talent.get(talentId)) return false;
        for (const creditId of [...(creditsByTalent.get(talentId) ?? [])]) {
          const removed = await credits.remove(creditId);
          if (removed) unlink(removed);
        }
        return (await talent.remove(talentId)) !== undefined;
      },
      addCredit: async (_: unknown, { input }: { input: CreditInput }) => {
        if (!talent.get(input.talentId)) {
          throw new GraphQLError(`no talent with id ${input.talentId}`, { extensions: { code: 'BAD_USER_INPUT' } });
        }
        const row: CreditRow = {
          creditId: credits.nextId('crd'),
          movieId: input.movieId,
          talentId: input.talentId,
          role: input.role,
          character: input.character ?? null,
          billing: castOf(input.movieId).length + 1,
        };
        await credits.save(row);
        link(row);
        return row;
      },
      removeCredit: async (_: unknown, { creditId }: { creditId: string }) => {
        const removed = await credits.remove(creditId);
        if (removed) unlink(removed);
        return removed !== undefined;
      },
    },
  };
  return { typeDefs: talentTypeDefs, resolvers };
}

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let values = index.get(key);
  if (!values) index.set(key, (values = new Set()));
  values.add(value);
}
