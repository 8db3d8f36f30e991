import { describe, expect, it } from 'vitest';
import { nestedWithin } from '../../src/search/requestBody.ts';

describe('the nesting check before a body is parsed', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    expect(nestedWithin('{"a":[{"b":[]}]}', 4)).toBe(true);
    expect(nestedWithin('{"a":[{"b":[]}]}', 3)).toBe(false);
    expect(nestedWithin('{"a":"[[[[[[[[{{{{"}', 1)).toBe(true);
    expect(nestedWithin('{"a":"\\\\"}', 1)).toBe(true);
    expect(nestedWithin('{"a":"\\"[[[["}', 1)).toBe(true);
    expect(nestedWithin('{"a":"\\\\",[[[[1]]]]}', 3)).toBe(false);
  });
});
