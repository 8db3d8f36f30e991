import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan } from '../../src/pipeline/jsonDepth.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects, and only past the cap says deeper', () => {
    expect(jsonNestsDeeperThan(bytes('{"a":[{"b":[]}]}'), 4)).toBe(false);
    expect(jsonNestsDeeperThan(bytes('{"a":[{"b":[[]]}]}'), 4)).toBe(true);
    expect(jsonNestsDeeperThan(bytes('[],[],[],[],[]'), 1)).toBe(false);
    expect(jsonNestsDeeperThan(bytes('42'), 0)).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(jsonNestsDeeperThan(bytes('{"a":"[[[{{{"}'), 1)).toBe(false);
    expect(jsonNestsDeeperThan(bytes('{"a":"\\"[[[\\\\","b":"{{"}'), 1)).toBe(false);
    expect(jsonNestsDeeperThan(bytes('{"a":"\\\\"}[[['), 2)).toBe(true);
    expect(jsonNestsDeeperThan(bytes('{"é€😀":"[[["}'), 1)).toBe(false);
  });

  it('scans a million levels without recursion, stopping at the cap', () => {
    const million = Buffer.alloc(2_000_000, 0x5b);
    million.fill(0x5d, 1_000_000);
    expect(jsonNestsDeeperThan(million, 1_000_000)).toBe(false);
    expect(jsonNestsDeeperThan(million, 999_999)).toBe(true);
  });
});
