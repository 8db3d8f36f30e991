import { readFileSync } from 'node:fs';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { SubgraphModule } from '../shared/subgraphModule.ts';
import { GraphQLError, parse, type DocumentNode } from 'graphql';
import type { CreditRow, TalentRole, TalentRow } from '../data/studioRows.ts';
import { applyPatch } from '../shared/applyPatch.ts';
import { connectionOf, type TeamTable } from '../shared/teamTable.ts';

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

/**
 * The talent team's service: people, and their credits on movies. A change to a person is a
 * change of the talent table; a change to who is in a movie is a change of the credits table
 * (keyed by credit id, carrying the movie id), since the movie's cast changed.
 */
export function talentSubgraph(tables: { talent: TeamTable<TalentRow>; credits: TeamTable<CreditRow> }): SubgraphModule {
  const { talent, credits } = tables;
  const castOf = async (movieId: string): Promise<CreditRow[]> => (await credits.where('movieId', movieId)).sort((a, b) => a.billing - b.billing);

  const resolvers: GraphQLResolverMap<unknown> = {
    Query: {
      talent: async (_: unknown, { talentId }: { talentId: string }) => (await talent.get(talentId)) ?? null,
      talents: (_: unknown, { first, after }: { first: number; after?: string | null }) => connectionOf(talent, talentIdOf, first, after),
    },
    Talent: {
      __resolveReference: async ({ talentId }: { talentId: string }) => (await talent.get(talentId)) ?? null,
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
      createTalent: async (_: unknown, { input }: { input: TalentInput }) =>
        talent.save({
          talentId: await talent.nextId('tal'),
          name: input.name,
          roles: input.roles ?? [],
          birthYear: input.birthYear ?? null,
          homeCountry: input.homeCountry ?? null,
        }),
      updateTalent: async (_: unknown, { talentId, patch }: { talentId: string; patch: Partial<TalentRow> }) => {
        const before = await talent.get(talentId);
        if (!before) return null;
        return talent.save(applyPatch(before, patch, ['name', 'roles']));
      },
      deleteTalent: async (_: unknown, { talentId }: { talentId: string }) => {
        if (!(await talent.get(talentId))) return false;
        for (const credit of await credits.where('talentId', talentId)) await credits.remove(credit.creditId);
        return (await talent.remove(talentId)) !== undefined;
      },
      addCredit: async (_: unknown, { input }: { input: CreditInput }) => {
        if (!(await talent.get(input.talentId))) {
          throw new GraphQLError(`no talent with id ${input.talentId}`, { extensions: { code: 'BAD_USER_INPUT' } });
        }
        return credits.save({
          creditId: await credits.nextId('crd'),
          movieId: input.movieId,
          talentId: input.talentId,
          role: input.role,
          character: input.character ?? null,
          billing: (await castOf(input.movieId)).length + 1,
        });
      },
      removeCredit: async (_: unknown, { creditId }: { creditId: string }) => (await credits.remove(creditId)) !== undefined,
    },
  };
  return { typeDefs: talentTypeDefs, resolvers };
}
