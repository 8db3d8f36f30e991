import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/backfill/rateLimiter.ts';

describe('RateLimiter', () => {
  it('spaces takers so that the rate holds from the first entity on', async () => {
    const limiter = new RateLimiter(1_000);
    const started = performance.now();
    for (let i = 0; i < 10; i++) await limiter.take(25);
    // 250 entities at 1,000/s occupy 225 ms of timeline before the last one may start.
    expect(performance.now() - started).toBeGreaterThanOrEqual(220);
  });

  it('serialises concurrent takers on one timeline', async () => {
    const limiter = new RateLimiter(500);
    const started = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => limiter.take(50)));
    expect(performance.now() - started).toBeGreaterThanOrEqual(495);
  });

});
