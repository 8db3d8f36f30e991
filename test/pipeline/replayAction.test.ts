import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/pipeline/deadLetters.ts';
import { eventRoutes } from '../../src/pipeline/enrichSteps.ts';
import { replayAction } from '../../src/pipeline/replayAction.ts';
import { moviesIndex } from '../search/moviesIndex.ts';

const routes = eventRoutes(moviesIndex());
const event = (topic: string | null, value: string | null): DeadLetter => ({
  kind: 'event',
  stage: 'enrich',
  reason: 'value is not JSON',
  entityId: null,
  source: topic === null ? null : { topic, partition: 0, offset: '7' },
  key: null,
  value,
});

describe('replayAction', () => {
  it('keeps a stand-in, whose body is cut short, of an event or a document in the dead-letter topic', () => {
    const standIn = 'movies.dlq refused the 1100000-byte letter: MESSAGE_TOO_LARGE';
    for (const letter of [event('studio.movie.changes', '{"after":{"movieId":"m1"}}'), { ...event(null, 'avro'), kind: 'document' as const }]) {
      expect(replayAction({ ...letter, standIn }, routes, 'movies.documents')).toEqual({
        kind: 'keep',
        reason: `a stand-in for a letter the dead-letter topic refused (${standIn}); the original is at its source`,
      });
    }
  });

  it('puts an event that now decodes back on its own topic', () => {
    expect(replayAction(event('studio.movie.changes', '{"after":{"movieId":"m1"}}'), routes, 'movies.documents')).toEqual({
      kind: 'reinject',
      topic: 'studio.movie.changes',
    });
  });

  it('keeps an event that still cannot be read in the dead-letter topic, instead of looping it through the source topic', () => {
    expect(replayAction(event('studio.movie.changes', '{not json'), routes, 'movies.documents')).toEqual({
      kind: 'keep',
      reason: expect.stringMatching(/^still undecodable: value is not JSON/),
    });
  });

  it('never produces to a topic the letter names that is not an event topic of this index', () => {
    expect(replayAction(event('payments.ledger', '{"after":{"movieId":"m1"}}'), routes, 'movies.documents')).toEqual({
      kind: 'keep',
      reason: 'the event names source topic payments.ledger, which is not an event topic of this index',
    });
    expect(replayAction(event(null, '{}'), routes, 'movies.documents').kind).toBe('keep');
  });

  it('fetches a refetch letter again, and puts a refused document back on the documents topic only', () => {
    const refetch: DeadLetter = { ...event(null, null), kind: 'refetch', entityId: 'm1' };
    expect(replayAction(refetch, routes, 'movies.documents')).toEqual({ kind: 'refetch', entityId: 'm1' });
    const document: DeadLetter = { ...event('anything.else', 'x'), kind: 'document', entityId: 'm1' };
    expect(replayAction(document, routes, 'movies.documents')).toEqual({ kind: 'reinject', topic: 'movies.documents' });
  });
});
