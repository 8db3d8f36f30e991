import { describe, expect, it } from 'vitest';
import { avroFieldChanges } from '../../src/provision/avroFieldChanges.ts';

const record = (name: string, fields: Array<{ name: string; type: unknown; doc?: string }>): object => ({ type: 'record', name, namespace: 'fedsearch.movies', fields });
const role = (symbols: string[]): object => ({ type: 'enum', name: 'TalentRole', namespace: 'fedsearch.movies.movie.cast.role', symbols });
const movie = (overrides: { title?: unknown; roles?: string[]; year?: unknown; doc?: string } = {}): object =>
  record('Movie', [
    { name: 'movieId', type: 'string' },
    { name: 'title', type: overrides.title ?? 'string', ...(overrides.doc === undefined ? {} : { doc: overrides.doc }) },
    { name: 'releaseYear', type: overrides.year ?? ['null', 'int'] },
    { name: 'cast', type: { type: 'array', items: record('CastMember', [{ name: 'role', type: role(overrides.roles ?? ['ACTOR', 'DIRECTOR']) }]) } },
  ]);

describe('avroFieldChanges: what changed in the documents since an index was provisioned', () => {
  it.each([
    ['nothing, when only a description changed', movie({ doc: 'The title.' }), []],
    ['a field made nullable', movie({ title: ['null', 'string'] }), ['title: string → null | string']],
    ['a field retyped', movie({ year: ['null', 'string'] }), ['releaseYear: null | int → null | string']],
    ['an enum symbol added, inside a list of records', movie({ roles: ['ACTOR', 'DIRECTOR', 'PRODUCER'] }), ['cast.role: enum symbols added: PRODUCER']],
    ['an enum symbol removed', movie({ roles: ['ACTOR'] }), ['cast.role: enum symbols removed: DIRECTOR']],
  ])('%s', (_case, after, expected) => {
    expect(avroFieldChanges(movie(), after)).toEqual(expected);
  });

  it('names fields the documents gained or lost', () => {
    const narrower = record('Movie', [{ name: 'movieId', type: 'string' }, { name: 'rating', type: ['null', 'double'] }]);
    expect(avroFieldChanges(movie(), narrower)).toEqual([
      'title: no longer in the documents',
      'releaseYear: no longer in the documents',
      'cast: no longer in the documents',
      'rating: new in the documents',
    ]);
  });
});
