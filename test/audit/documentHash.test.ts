import { describe, expect, it } from 'vitest';
import { documentHash, stableHash } from '../../src/index/stableHash.ts';

describe('documentHash', () => {
  it('ignores key order and a null that is absent on the other side, at any depth, and sees every other difference', () => {
    const graph = { title: 'Heat', cast: [{ role: 'ACTOR', talent: { name: 'Ana', roles: ['ACTOR'] } }], production: null };
    const indexed = { cast: [{ talent: { roles: ['ACTOR'], name: 'Ana', agent: null }, role: 'ACTOR' }], title: 'Heat' };
    expect(documentHash(indexed)).toBe(documentHash(graph));
    expect(documentHash({ ...indexed, title: 'Heat 2' })).not.toBe(documentHash(graph));
    expect(documentHash({ ...indexed, cast: [] })).not.toBe(documentHash(graph));
  });

  it('stableHash keeps nulls: a key holding null is not a key absent', () => {
    expect(stableHash({ a: 1, b: null })).not.toBe(stableHash({ a: 1 }));
    expect(stableHash({ b: 2, a: 1 })).toBe(stableHash({ a: 1, b: 2 }));
  });
});
