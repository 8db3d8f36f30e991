import { describe, expect, it } from 'vitest';
import { reindexResumeVerdict, swapProblem } from '../../src/backfill/reindexResume.ts';

describe('whether a finished reindex swaps', () => {
  const counts = { failed: 0, done: 300, written: 300, held: 300, live: 300 };
  const problem = (changed: Partial<typeof counts>): string | null => swapProblem({ ...counts, ...changed }, 'movies_v2', 'movies_v1');

  it('swaps a complete version', () => {
    expect(problem({})).toBeNull();
  });

  it('holds back a version without the documents of failed entities', () => {
    expect(problem({ failed: 13, written: 287, held: 287 })).toBe('13 of 300 entities failed');
  });

  it('holds back a version whose mapping refused documents the live version has', () => {
    expect(problem({ held: 250 })).toBe('movies_v2 holds 250 documents, 50 fewer than the 300 the reindex wrote and 50 fewer than movies_v1 (refused by its mapping)');
  });

  it('swaps when live updates deleted documents from both versions meanwhile, so a busy index is not reindexed for ever', () => {
    expect(problem({ held: 290, live: 290 })).toBeNull();
  });

  it('swaps when the live version holds documents the graph no longer has, which the reindex drops', () => {
    expect(problem({ written: 280, held: 280, live: 300 })).toBeNull();
  });
});

describe('whether a stopped reindex resumes into its version', () => {
  const now = { queryHash: 'q1', shape: 's1' };
  it('resumes only into a version that exists and was built for the query and shape of now', () => {
    expect(reindexResumeVerdict({ target: 'movies_v2', builtFrom: now }, now, true)).toEqual({ resumable: true });
    expect(reindexResumeVerdict({ target: 'movies_v2', builtFrom: now }, now, false)).toEqual({ resumable: false, why: 'movies_v2 no longer exists' });
    expect(reindexResumeVerdict({ target: 'movies_v2', builtFrom: { ...now, queryHash: 'q0' } }, now, true)).toMatchObject({ resumable: false, why: expect.stringContaining('another query') });
    expect(reindexResumeVerdict({ target: 'movies_v2', builtFrom: { ...now, shape: 's0' } }, now, true)).toMatchObject({ resumable: false, why: expect.stringContaining('another mapping') });
  });
});
