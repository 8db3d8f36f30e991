import { describe, expect, it } from 'vitest';
import { generateStudio, RYAN_REYNOLDS_ID } from '../../subgraphs/data/generateStudio.ts';

describe('generateStudio', () => {
  it('gives the same studio for the same seed and a different one for another seed', () => {
    expect(generateStudio({ movies: 50, seed: 7 })).toEqual(generateStudio({ movies: 50, seed: 7 }));
    expect(generateStudio({ movies: 50, seed: 8 }).movies).not.toEqual(generateStudio({ movies: 50, seed: 7 }).movies);
  });

  it('scales productions and talent with the movie count and links every row to existing ids', () => {
    const studio = generateStudio({ movies: 300 });
    expect(studio.movies).toHaveLength(300);
    expect(studio.productions).toHaveLength(300);
    expect(studio.talent).toHaveLength(900);
    const movieIds = new Set(studio.movies.map((m) => m.movieId));
    const talentIds = new Set(studio.talent.map((t) => t.talentId));
    expect(studio.productions.every((p) => movieIds.has(p.movieId))).toBe(true);
    expect(studio.credits.every((c) => movieIds.has(c.movieId) && talentIds.has(c.talentId))).toBe(true);
    for (const movie of studio.movies) {
      const roles = studio.credits.filter((c) => c.movieId === movie.movieId).map((c) => c.role);
      expect(roles).toContain('DIRECTOR');
      expect(roles.filter((r) => r === 'ACTOR').length).toBeGreaterThanOrEqual(2);
    }
  });

  it('casts the well-known actor in some movies and uses names that need folding', () => {
    const studio = generateStudio({ movies: 2000 });
    expect(studio.talent[0]).toMatchObject({ talentId: RYAN_REYNOLDS_ID, name: 'Ryan Reynolds' });
    expect(studio.credits.filter((c) => c.talentId === RYAN_REYNOLDS_ID).length).toBeGreaterThan(3);
    expect(studio.talent.some((t) => /[’']/.test(t.name))).toBe(true);
    expect(studio.talent.some((t) => /[éëöñ]/.test(t.name))).toBe(true);
  });
});
