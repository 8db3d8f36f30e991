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
    { letter: { ...refetch('mov-1', 'talent', 'cast.0.talent'), retry: { attempts: 2 } }, at: '2026-12-05T10:00:03.000Z', state: 'waiting' as const, nextRetryAt: '2026-12-05T10:00:43.000Z' },
    { letter: refetch('mov-2', 'talent', 'cast.4.talent'), at: '2026-12-05T10:00:01.000Z', state: 'waiting' as const, nextRetryAt: '2026-12-05T10:00:06.000Z' },
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
        state: 'waiting',
        count: 2,
        firstSeen: '2026-12-05T10:00:01.000Z',
        lastSeen: '2026-12-05T10:00:03.000Z',
        examples: ['mov-1', 'mov-2'],
        exampleReason: 'gateway returned GraphQL errors for mov-1: talent failed',
        nextRetry: '2026-12-05T10:00:06.000Z',
        attempts: 2,
      },
      expect.objectContaining({ subgraph: '(none)', reason: 'event: value is not JSON at position N', state: 'permanent', examples: ['t/1/7'], nextRetry: null }),
      expect.objectContaining({ subgraph: 'productions', reason: 'FAULT_INJECTED', count: 1 }),
    ]);
  });

  it('prints a table a person reads: waiting or permanent, when the next retry is, the largest group first', () => {
    const text = formatLetterSummary({ topic: 'movies.dlq', letters: 4, waiting: 2, permanent: 2, replayedBefore: 2, groups: groupLetters(letters) });
    expect(text.split('\n').slice(0, 6)).toEqual([
      'movies.dlq: 4 letters — 2 waiting for an automatic retry (next 2026-12-05 10:00:06Z), 2 permanent (`fedsearch replay`) (2 earlier ones replayed or retried already)',
      '',
      'SUBGRAPH     REASON                                  STATE      LETTERS  FIRST SEEN            LAST SEEN             NEXT RETRY                      EXAMPLES',
      'talent       FAULT_INJECTED at cast.talent           waiting    2        2026-12-05 10:00:01Z  2026-12-05 10:00:03Z  2026-12-05 10:00:06Z (retry 3)  mov-1, mov-2',
      '(none)       event: value is not JSON at position N  permanent  1        2026-12-05 10:00:05Z  2026-12-05 10:00:05Z  -                               t/1/7',
      'productions  FAULT_INJECTED                          permanent  1        2026-12-05 10:00:02Z  2026-12-05 10:00:02Z  -                               mov-3',
    ]);
    expect(formatLetterSummary({ topic: 'movies.dlq', letters: 0, waiting: 0, permanent: 0, replayedBefore: 0, groups: [] })).toBe('movies.dlq: no letters\n');
  });
});
