import { describe, expect, it } from 'vitest';
import { backoffDelay, ELASTICSEARCH_BACKOFF, elasticsearchRetryReason, GATEWAY_BACKOFF, retryUntilDone, type Backoff, type RetryReason } from '../src/retryPolicy.ts';

const lowest = (): number => 0;
const highest = (): number => 0.999_999;

describe('backoffDelay', () => {
  const backoff: Backoff = { baseMs: 100, factor: 3, maxMs: 2_000 };

  it('starts at the base and grows by the factor each retry', () => {
    expect([1, 2, 3].map((attempt) => backoffDelay(backoff, attempt, lowest))).toEqual([100, 300, 900]);
  });

  it('spreads each delay over [1, 2) times itself, so callers that failed together retry apart', () => {
    expect(backoffDelay(backoff, 2, () => 0.5)).toBe(450);
    expect(backoffDelay(backoff, 2, highest)).toBeLessThan(600);
  });

  it('never waits longer than the cap, however many retries', () => {
    expect(backoffDelay(backoff, 4, lowest)).toBe(2_000);
    expect(backoffDelay(backoff, 50, highest)).toBe(2_000);
  });

  it('waits out the gateway in steps of at most 5 s, and gives Elasticsearch up to 20 s, under the consumer’s 30 s session timeout', () => {
    expect(backoffDelay(GATEWAY_BACKOFF, 1, lowest)).toBe(200);
    expect(backoffDelay(GATEWAY_BACKOFF, 100, highest)).toBe(5_000);
    expect(backoffDelay(ELASTICSEARCH_BACKOFF, 1, lowest)).toBe(125);
    expect(backoffDelay(ELASTICSEARCH_BACKOFF, 100, highest)).toBe(20_000);
  });
});

describe('elasticsearchRetryReason', () => {
  it('retries what Elasticsearch could not take now, and says why', () => {
    expect(elasticsearchRetryReason(null)).toBe('elasticsearch_unreachable');
    expect(elasticsearchRetryReason(429)).toBe('elasticsearch_busy');
    expect(elasticsearchRetryReason(503)).toBe('elasticsearch_busy');
  });

  it('does not retry what another try cannot fix: a refused document, a version conflict, a missing index', () => {
    expect([400, 404, 409].map(elasticsearchRetryReason)).toEqual([null, null, null]);
  });
});

describe('retryUntilDone', () => {
  const backoff: Backoff = { baseMs: 100, factor: 2, maxMs: 300 };

  it('tries again after each backoff until the attempt is done, saying why before each wait', async () => {
    const events: string[] = [];
    const reasons: RetryReason[][] = [[ 'http_5xx', 'http_5xx' ], ['timeout']];
    const value = await retryUntilDone(
      async (attempt) => {
        events.push(`try ${attempt}`);
        const retry = reasons[attempt - 1];
        return retry ? { retry } : { done: 'written' };
      },
      {
        backoff,
        beforeWait: (why, attempt, delayMs) => void events.push(`retry ${attempt} for ${why.join(',')}, wait ${delayMs >= 100 * 2 ** (attempt - 1) && delayMs <= 300 ? 'in range' : delayMs}`),
        sleep: async (ms) => void events.push(`slept ${ms >= 100 ? 'the delay' : ms}`),
        afterWait: () => void events.push('heartbeat'),
      },
    );
    expect(value).toBe('written');
    expect(events).toEqual([
      'try 1', 'retry 1 for http_5xx,http_5xx, wait in range', 'slept the delay', 'heartbeat',
      'try 2', 'retry 2 for timeout, wait in range', 'slept the delay', 'heartbeat',
      'try 3',
    ]);
  });

  it('stops at a throw from the attempt or from a wait hook, without another try', async () => {
    let tries = 0;
    await expect(retryUntilDone(async () => {
      tries++;
      throw new Error('refused for good');
    }, { backoff, sleep: async () => {} })).rejects.toThrow('refused for good');
    expect(tries).toBe(1);

    tries = 0;
    await expect(retryUntilDone(async () => {
      tries++;
      return { retry: ['network'] as RetryReason[] };
    }, { backoff, sleep: async () => {}, afterWait: () => { throw new Error('stopping'); } })).rejects.toThrow('stopping');
    expect(tries).toBe(1);
  });
});
