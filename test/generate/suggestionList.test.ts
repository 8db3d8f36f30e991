import { describe, expect, it } from 'vitest';
import { suggestionList } from '../../src/suggestions.ts';

describe('suggestionList', () => {
  it('offers options within 40% of the input length in edits, closest first', () => {
    expect(suggestionList('titel', ['title', 'titles', 'genres', 'tile'])).toEqual(['title', 'tile', 'titles']);
  });

  it('counts a case change alone as one edit, and an exact match as none', () => {
    expect(suggestionList('Genres', ['genres', 'Genres', 'generes'])).toEqual(['Genres', 'generes', 'genres']);
  });

  it('counts swapping two neighbours as one edit', () => {
    expect(suggestionList('ab', ['ba', 'abc', 'xy'])).toEqual(['abc', 'ba']);
  });

  it('offers nothing when nothing is close', () => {
    expect(suggestionList('boxOffice', ['title', 'genres', 'cast.talent.name'])).toEqual([]);
  });
});
