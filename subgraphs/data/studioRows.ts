// Row shapes of the demo studio: what each team's service stores. Each subgraph owns one part.

export interface MovieRow {
  movieId: string;
  title: string;
  synopsis: string | null;
  genres: string[];
  releaseYear: number | null;
  runtimeMinutes: number | null;
  originalLanguage: string;
  rating: number | null;
  updatedAt: string;
}

export type ProductionStatus =
  | 'DEVELOPMENT'
  | 'PRE_PRODUCTION'
  | 'PHOTOGRAPHY'
  | 'POST_PRODUCTION'
  | 'RELEASED'
  | 'CANCELLED';

export const PRODUCTION_STATUSES: readonly ProductionStatus[] = [
  'DEVELOPMENT',
  'PRE_PRODUCTION',
  'PHOTOGRAPHY',
  'POST_PRODUCTION',
  'RELEASED',
  'CANCELLED',
];

export interface ShootingLocation {
  city: string;
  country: string;
  stage: string | null;
}

export interface Vendor {
  vendorId: string;
  name: string;
  service: string;
}

export interface ProductionRow {
  ptpId: string;
  movieId: string;
  status: ProductionStatus;
  shootingLocations: ShootingLocation[];
  vendors: Vendor[];
  budget: number | null;
  startDate: string | null;
}

export type TalentRole = 'ACTOR' | 'DIRECTOR' | 'WRITER' | 'PRODUCER' | 'CINEMATOGRAPHER' | 'COMPOSER';

export const TALENT_ROLES: readonly TalentRole[] = ['ACTOR', 'DIRECTOR', 'WRITER', 'PRODUCER', 'CINEMATOGRAPHER', 'COMPOSER'];

export interface TalentRow {
  talentId: string;
  name: string;
  roles: TalentRole[];
  birthYear: number | null;
  homeCountry: string | null;
}

/** One person's credit on one movie (the talent team's join table). */
export interface CreditRow {
  creditId: string;
  movieId: string;
  talentId: string;
  role: TalentRole;
  character: string | null;
  billing: number;
}

export interface Studio {
  movies: MovieRow[];
  productions: ProductionRow[];
  talent: TalentRow[];
  credits: CreditRow[];
}

export function entityId(prefix: 'mov' | 'ptp' | 'tal' | 'crd' | 'ven', n: number): string {
  // Zero-padded so that string order is creation order: cursors page in a stable order.
  return `${prefix}-${String(n).padStart(7, '0')}`;
}
