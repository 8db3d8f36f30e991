import { describe, expect, it } from 'vitest';
import { formatLetterSummary, groupLetters } from '../../src/pipeline/deadLetterSummary.ts';
import type { DeadLetter } from '../../src/pipeline/deadLetters.ts';

const refetch = (id: string, subgraph: string, path: string, code = 'FAULT_INJECTED'): DeadLetter => ({
  kind: 'refetch',
  stage: 'enrich',
  reason: `gateway returned GraphQL errors for ${id}: ${subgraph} failed`,
  entityId: id,
  source: null,
  key: id,
  value: null,
  fault: { subgraph, path, code },
});

/** Letters said once per team and reason: what an index owner reads before calling anyone. */
describe('dead-letter summary', () => {
  const letters = [
    { letter: refetch('mov-1', 'talent', 'cast.0.talent'), at: '2026-12-05T10:00:03.000Z' },
    { letter: refetch('mov-2', 'talent', 'cast.4.talent'), at: '2026-12-05T10:00:01.000Z' },
    { letter: refetch('mov-3', 'productions', ''), at: '2026-12-05T10:00:02.000Z' },
    {
      letter: { kind: 'event', stage: 'enrich', reason: 'value is not JSON at position 12', entityId: null, source: { topic: 't', partition: 1, offset: '7' }, key: null, value: null },
      at: '2026-12-05T10:00:05.000Z',
    } satisfies { letter: DeadLetter; at: string },
  ];

  it('groups by subgraph and reason (code and path without list indexes), counts, first and last seen, example ids', () => {
    expect(groupLetters(letters)).toEqual([
      {
        subgraph: 'talent',
        reason: 'FAULT_INJECTED at cast.talent',
        count: 2,
        firstSeen: '2026-12-05T10:00:01.000Z',
        lastSeen: '2026-12-05T10:00:03.000Z',
        examples: ['mov-1', 'mov-2'],
        exampleReason: 'gateway returned GraphQL errors for mov-1: talent failed',
      },
      expect.objectContaining({ subgraph: '(none)', reason: 'event: value is not JSON at position N', examples: ['t/1/7'] }),
      expect.objectContaining({ subgraph: 'productions', reason: 'FAULT_INJECTED', count: 1 }),
    ]);
  });

  it('prints a table a person reads, the largest group first', () => {
    const text = formatLetterSummary({ topic: 'movies.dlq', letters: 4, replayedBefore: 2, groups: groupLetters(letters) });
    expect(text.split('\n').slice(0, 4)).toEqual([
      'movies.dlq: 4 letters waiting (2 earlier ones replayed already)',
      '',
      'SUBGRAPH     REASON                                  LETTERS  FIRST SEEN            LAST SEEN             EXAMPLES',
      'talent       FAULT_INJECTED at cast.talent           2        2026-12-05 10:00:01Z  2026-12-05 10:00:03Z  mov-1, mov-2',
    ]);
    expect(formatLetterSummary({ topic: 'movies.dlq', letters: 0, replayedBefore: 0, groups: [] })).toBe('movies.dlq: no letters waiting\n');
  });
});
