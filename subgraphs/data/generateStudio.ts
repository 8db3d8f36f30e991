import { SeededRandom } from './seededRandom.ts';
import {
  CHARACTER_NAMES,
  FIRST_NAMES,
  GENRES,
  LANGUAGES,
  LAST_NAMES,
  LOCATIONS,
  STAGES,
  SYNOPSIS_OPENINGS,
  SYNOPSIS_SETTINGS,
  SYNOPSIS_TURNS,
  TITLE_ADJECTIVES,
  TITLE_NOUNS,
  VENDOR_NAMES,
  VENDOR_SERVICES,
} from './vocabulary.ts';
import {
  entityId,
  PRODUCTION_STATUSES,
  TALENT_ROLES,
  type CreditRow,
  type MovieRow,
  type ProductionRow,
  type Studio,
  type TalentRole,
  type TalentRow,
} from './studioRows.ts';

export interface StudioSize {
  /** Number of movies; productions = movies, talent = 3 × movies. */
  movies: number;
  seed?: number;
  /**
   * Credit the hub actor (HUB_TALENT_ID) in the first N movies, for a talent change that fans
   * out to N documents. Added after the seeded data, so the rest of the studio stays the same.
   */
  hubTalentMovies?: number;
}

/** The id of the actor `hubTalentMovies` credits in many movies. */
export const HUB_TALENT_ID = entityId('tal', 2);

/** The id of a well-known actor who appears in about one movie in 200, sometimes as director. */
export const RYAN_REYNOLDS_ID = entityId('tal', 1);

const BASE_UPDATED_AT = Date.UTC(2026, 0, 1);

/**
 * A deterministic demo studio: the same size and seed always give the same rows, so tests and
 * benchmarks can name ids and expect the same documents.
 */
export function generateStudio({ movies: movieCount, seed = 42, hubTalentMovies = 0 }: StudioSize): Studio {
  const random = new SeededRandom(seed);
  const talentCount = movieCount * 3;

  const talent: TalentRow[] = [];
  for (let n = 1; n <= talentCount; n++) {
    const name = n === 1 ? 'Ryan Reynolds' : `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
    const roles: TalentRole[] = n === 1 ? ['ACTOR', 'DIRECTOR', 'PRODUCER'] : [random.pick(TALENT_ROLES)];
    if (n > 1 && random.chance(0.2)) roles.push(random.pick(TALENT_ROLES.filter((r) => !roles.includes(r))));
    talent.push({
      talentId: entityId('tal', n),
      name,
      roles,
      birthYear: random.chance(0.9) ? random.int(1940, 2010) : null,
      homeCountry: random.chance(0.85) ? random.pick(LOCATIONS).country : null,
    });
  }

  const movies: MovieRow[] = [];
  const productions: ProductionRow[] = [];
  const credits: CreditRow[] = [];
  let vendorSeq = 0;
  for (let n = 1; n <= movieCount; n++) {
    const movieId = entityId('mov', n);
    movies.push({
      movieId,
      title: `The ${random.pick(TITLE_ADJECTIVES)} ${random.pick(TITLE_NOUNS)}${random.chance(0.15) ? ` ${random.int(2, 4)}` : ''}`,
      synopsis: random.chance(0.95)
        ? `${random.pick(SYNOPSIS_OPENINGS)} ${random.pick(SYNOPSIS_TURNS)} ${random.pick(SYNOPSIS_SETTINGS)}.`
        : null,
      genres: random.sample(GENRES, random.int(1, 3)),
      releaseYear: random.chance(0.9) ? random.int(1970, 2027) : null,
      runtimeMinutes: random.chance(0.9) ? random.int(75, 190) : null,
      originalLanguage: random.pick(LANGUAGES),
      rating: random.chance(0.8) ? random.int(10, 100) / 10 : null,
      updatedAt: new Date(BASE_UPDATED_AT + random.int(0, 300 * 86_400) * 1000).toISOString(),
    });

    productions.push({
      ptpId: entityId('ptp', n),
      movieId,
      status: random.pick(PRODUCTION_STATUSES),
      shootingLocations: random.sample(LOCATIONS, random.int(1, 3)).map((location) => ({
        ...location,
        stage: random.chance(0.7) ? random.pick(STAGES) : null,
      })),
      vendors: random.sample(VENDOR_NAMES, random.int(0, 3)).map((name) => ({
        vendorId: entityId('ven', ++vendorSeq),
        name,
        service: random.pick(VENDOR_SERVICES),
      })),
      budget: random.chance(0.85) ? random.int(1, 250) * 1_000_000 : null,
      startDate: random.chance(0.9) ? isoDate(random.int(1969, 2027), random.int(1, 12), random.int(1, 28)) : null,
    });

    credits.push(...creditsFor(movieId, random, talentCount, credits.length));
  }
  for (let n = 1; n <= Math.min(hubTalentMovies, movieCount); n++) {
    credits.push({
      creditId: entityId('crd', credits.length + 1),
      movieId: entityId('mov', n),
      talentId: HUB_TALENT_ID,
      role: 'ACTOR',
      character: 'The Narrator',
      billing: 99,
    });
  }
  return { movies, productions, talent, credits };
}

function creditsFor(movieId: string, random: SeededRandom, talentCount: number, creditSeq: number): CreditRow[] {
  const lineup: Array<{ talentNumber: number; role: TalentRole }> = [
    { talentNumber: random.int(2, talentCount), role: 'DIRECTOR' },
    { talentNumber: random.int(2, talentCount), role: 'WRITER' },
  ];
  const actorCount = random.int(2, 5);
  for (let i = 0; i < actorCount; i++) lineup.push({ talentNumber: random.int(2, talentCount), role: 'ACTOR' });
  if (random.chance(0.005)) lineup.push({ talentNumber: 1, role: 'ACTOR' });
  if (random.chance(0.002)) lineup[0] = { talentNumber: 1, role: 'DIRECTOR' };
  return lineup.map(({ talentNumber, role }, index) => ({
    creditId: entityId('crd', creditSeq + index + 1),
    movieId,
    talentId: entityId('tal', talentNumber),
    role,
    character: role === 'ACTOR' ? random.pick(CHARACTER_NAMES) : null,
    billing: index + 1,
  }));
}

function isoDate(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
