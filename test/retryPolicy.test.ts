import { describe, expect, it } from 'vitest';
import { backoffDelay, ELASTICSEARCH_BACKOFF, elasticsearchRetryReason, GATEWAY_BACKOFF, type Backoff } from '../src/retryPolicy.ts';

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
