import { describe, expect, it } from 'vitest';
import { differenceAge, verdict } from '../../src/audit/auditVerdict.ts';

const NOW = 1_000_000;

describe('audit verdicts', () => {
  it('a difference that agrees when checked again settled: it was in flight', () => {
    expect(verdict('m-1', 'stale', { class: null, graphUpdatedAtMs: null }, NOW - 5_000, NOW, 0)).toEqual({ id: 'm-1', class: 'stale', persistence: 'settled', ageSeconds: null });
  });

  it('one that still differs is persistent once it is older than the SLA, and within the SLA before', () => {
    expect(verdict('m-2', 'missing', { class: 'missing', graphUpdatedAtMs: null }, NOW - 20_000, NOW, 30)).toMatchObject({ persistence: 'withinSla', ageSeconds: 20 });
    expect(verdict('m-2', 'missing', { class: 'missing', graphUpdatedAtMs: null }, NOW - 40_000, NOW, 30)).toMatchObject({ persistence: 'persistent', ageSeconds: 40 });
    // No SLA: anything that outlasts the settling fails.
    expect(verdict('m-3', 'extra', { class: 'extra', graphUpdatedAtMs: null }, NOW, NOW, 0)).toMatchObject({ persistence: 'persistent', ageSeconds: 0 });
  });

  it('counts a stale or missing document from the graph change the index missed, when the document says when', () => {
    // Changed in the graph an hour ago, first seen by this audit a moment ago: wrong for an hour.
    expect(differenceAge({ class: 'stale', graphUpdatedAtMs: NOW - 3_600_000 }, NOW - 10_000, NOW)).toBe(3_600);
    expect(verdict('m-4', 'stale', { class: 'stale', graphUpdatedAtMs: NOW - 3_600_000 }, NOW - 10_000, NOW, 60)).toMatchObject({ persistence: 'persistent' });
    // Changed a moment ago (after the audit first saw an older difference): counted from first sight.
    expect(differenceAge({ class: 'stale', graphUpdatedAtMs: NOW - 1_000 }, NOW - 10_000, NOW)).toBe(10);
    // An extra document has no graph entity to ask.
    expect(differenceAge({ class: 'extra', graphUpdatedAtMs: NOW - 3_600_000 }, NOW - 10_000, NOW)).toBe(10);
  });

  it('reports the class found last: a stale document deleted from the index meanwhile is missing', () => {
    expect(verdict('m-5', 'stale', { class: 'missing', graphUpdatedAtMs: null }, NOW, NOW, 0)).toMatchObject({ class: 'missing', persistence: 'persistent' });
  });
});
