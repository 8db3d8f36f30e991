import { describe, expect, it } from 'vitest';
import { DEFAULT_DEAD_LETTER_RETRY } from '../../src/config/configSchema.ts';
import { afterFailedRetry, expectsTheEntity, NULL_RETRIES_EXPECTING_THE_ENTITY, retryDelayMs, retryVerdict, TokenBucket } from '../../src/pipeline/deadLetterRetry.ts';
import { readDeadLetter, requeuedHeaders, type DeadLetter } from '../../src/pipeline/deadLetters.ts';

const SETTINGS = DEFAULT_DEAD_LETTER_RETRY;
const WRITTEN = Date.parse('2026-12-05T10:00:00Z');
const talentFailure: DeadLetter = {
  kind: 'refetch',
  stage: 'enrich',
  reason: 'gateway returned GraphQL errors for mov-1 (gave up after 6 attempts)',
  entityId: 'mov-1',
  source: null,
  key: 'mov-1',
  value: '{"id":"mov-1","tsMs":1}',
  fault: { subgraph: 'talent', path: '', code: 'FAULT_INJECTED' },
};

describe('which dead letters recover by themselves', () => {
  it('a fetch the graph failed waits, due firstDelaySeconds after it was written', () => {
    expect(retryVerdict(talentFailure, WRITTEN, SETTINGS)).toEqual({ state: 'waiting', dueAtMs: WRITTEN + 5_000, firstFailedAtMs: WRITTEN, attempts: 0 });
  });

  it('what fails the same way every time stays for replay: unreadable events, refused documents, stand-ins, fedsearch-side failures', () => {
    const event: DeadLetter = { ...talentFailure, kind: 'event', entityId: null, fault: undefined as never };
    delete (event as { fault?: unknown }).fault;
    const tooLarge: DeadLetter = { ...talentFailure, reason: 'document of 2000000 bytes is larger than pipeline.maxDocumentBytes' };
    delete (tooLarge as { fault?: unknown }).fault;
    for (const letter of [event, { ...talentFailure, kind: 'document' as const }, { ...talentFailure, standIn: 'too large' }, tooLarge]) {
      expect(retryVerdict(letter, WRITTEN, SETTINGS).state).toBe('permanent');
    }
    expect(retryVerdict(talentFailure, WRITTEN, { ...SETTINGS, enabled: false }).state).toBe('permanent');
  });

  it('an entity answered null while its event said it exists waits like any graph failure, and is expected for its first retries only', () => {
    const nullAnswer: DeadLetter = { ...talentFailure, fault: { subgraph: 'movies', path: '', code: 'ENTITY_NULL' } };
    expect(retryVerdict(nullAnswer, WRITTEN, SETTINGS).state).toBe('waiting');
    expect(expectsTheEntity(nullAnswer)).toBe(true);
    expect(expectsTheEntity({ ...nullAnswer, retry: { attempts: NULL_RETRIES_EXPECTING_THE_ENTITY - 1 } })).toBe(true);
    // After them a null is the graph's answer: the document is deleted.
    expect(expectsTheEntity({ ...nullAnswer, retry: { attempts: NULL_RETRIES_EXPECTING_THE_ENTITY } })).toBe(false);
    expect(expectsTheEntity(talentFailure)).toBe(false);
  });

  it('the delay doubles from firstDelaySeconds up to maxDelaySeconds, spread by at most ±20 %', () => {
    const middle = (): number => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 30].map((attempts) => retryDelayMs(attempts, SETTINGS, middle) / 1000)).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300, 300]);
    expect(retryDelayMs(0, SETTINGS, () => 0)).toBe(4_000);
    expect(retryDelayMs(0, SETTINGS, () => 0.999_999)).toBe(6_000);
    // Never past the cap, however the jitter falls.
    expect(retryDelayMs(10, SETTINGS, () => 0.999_999)).toBe(300_000);
  });

  it('a retry that fails sends the letter back with one more attempt and its next due time, until it gives up', () => {
    const first = retryVerdict(talentFailure, WRITTEN, SETTINGS);
    if (first.state !== 'waiting') throw new Error('expected waiting');
    const retry = afterFailedRetry(first, WRITTEN + 5_000, SETTINGS, () => 0.5);
    expect(retry).toEqual({ attempts: 1, firstFailedAt: '2026-12-05T10:00:00.000Z', nextRetryAt: '2026-12-05T10:00:15.000Z' });
    // The headers carry it across the topic: read back, the letter is due then, first failed when it did.
    const headers = requeuedHeaders({ 'fedsearch-dlq-kind': 'refetch', 'fedsearch-dlq-entity-id': 'mov-1' }, 'still failing', talentFailure.fault, retry);
    const back = readDeadLetter({ key: Buffer.from('mov-1'), value: null, headers });
    expect(back.retry).toEqual(retry);
    expect(back.reason).toBe('still failing');
    expect(retryVerdict(back, WRITTEN + 5_100, SETTINGS)).toEqual({ state: 'waiting', dueAtMs: Date.parse('2026-12-05T10:00:15Z'), firstFailedAtMs: WRITTEN, attempts: 1 });
    const late = retryVerdict(back, 0, SETTINGS);
    if (late.state !== 'waiting') throw new Error('expected waiting');
    const gaveUp = afterFailedRetry(late, WRITTEN + 24 * 3_600_000, SETTINGS);
    expect(gaveUp).toEqual({ attempts: 2, firstFailedAt: '2026-12-05T10:00:00.000Z', gaveUp: true });
    const left = readDeadLetter({ key: null, value: null, headers: requeuedHeaders(headers, 'still failing', talentFailure.fault, gaveUp) });
    expect(retryVerdict(left, WRITTEN, SETTINGS)).toEqual({ state: 'permanent', why: 'retried for 24 h without success' });
  });

  it('a failure of fedsearch\'s own on retry (no subgraph named) drops the old subgraph headers and stays for replay', () => {
    const headers = requeuedHeaders(requeuedHeaders({ 'fedsearch-dlq-kind': 'refetch', 'fedsearch-dlq-entity-id': 'mov-1' }, 'x', talentFailure.fault, { attempts: 1 }), 'too large', undefined, { attempts: 2 });
    const letter = readDeadLetter({ key: null, value: null, headers });
    expect(letter.fault).toBeUndefined();
    expect(retryVerdict(letter, WRITTEN, SETTINGS).state).toBe('permanent');
  });
});

describe('the retry rate cap', () => {
  it('lets one second of letters through at once, then lettersPerSecond, however many come due', () => {
    let now = 0;
    const bucket = new TokenBucket(20, () => now);
    expect(bucket.reserve(20)).toBe(0);
    // 100 more due at once: the last of them waits 5 s.
    expect(bucket.reserve(100)).toBe(5_000);
    now = 5_000;
    expect(bucket.reserve(1)).toBe(50);
    // Idle time earns at most one second's worth back.
    now = 60_000;
    expect(bucket.reserve(20)).toBe(0);
    expect(bucket.reserve(1)).toBe(50);
  });
});
