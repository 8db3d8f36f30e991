import type { TableSpec } from '../shared/teamTable.ts';
import type { CreditRow, MovieRow, ProductionRow, TalentRow } from './studioRows.ts';

// The demo teams' tables. In PostgreSQL each team has its own database (`movies`, `productions`,
// `talent`) and its change-data-capture topics are `<database>.public.<table>`.

export const MOVIES_TABLE: TableSpec<MovieRow> = {
  team: 'movies',
  table: 'movies',
  entity: 'Movie',
  topic: 'movie',
  idField: 'movieId',
  columns: {
    movieId: 'text',
    title: 'text',
    synopsis: 'text',
    genres: 'text[]',
    releaseYear: 'integer',
    runtimeMinutes: 'integer',
    originalLanguage: 'text',
    rating: 'double precision',
    updatedAt: 'timestamptz',
  },
  indexedBy: [],
};

export const PRODUCTIONS_TABLE: TableSpec<ProductionRow> = {
  team: 'productions',
  table: 'productions',
  entity: 'Production',
  topic: 'production',
  idField: 'ptpId',
  columns: {
    ptpId: 'text',
    movieId: 'text',
    status: 'text',
    shootingLocations: 'jsonb',
    vendors: 'jsonb',
    budget: 'double precision',
    startDate: 'date',
  },
  indexedBy: ['movieId'],
};

export const TALENT_TABLE: TableSpec<TalentRow> = {
  team: 'talent',
  table: 'talent',
  entity: 'Talent',
  topic: 'talent',
  idField: 'talentId',
  columns: { talentId: 'text', name: 'text', roles: 'text[]', birthYear: 'integer', homeCountry: 'text' },
  indexedBy: [],
};

export const CREDITS_TABLE: TableSpec<CreditRow> = {
  team: 'talent',
  table: 'credits',
  entity: 'Credit',
  topic: 'credit',
  idField: 'creditId',
  columns: { creditId: 'text', movieId: 'text', talentId: 'text', role: 'text', character: 'text', billing: 'integer' },
  indexedBy: ['movieId', 'talentId'],
};

export const STUDIO_TABLES = [MOVIES_TABLE, PRODUCTIONS_TABLE, TALENT_TABLE, CREDITS_TABLE] as const;

/** Debezium's topic for a table, with the database's name as the connector's `topic.prefix`. */
export function changeDataCaptureTopic(spec: { team: string; table: string }): string {
  return `${spec.team}.public.${spec.table}`;
}
