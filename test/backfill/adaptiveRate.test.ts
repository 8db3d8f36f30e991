import { describe, expect, it } from 'vitest';
import { AdaptiveRate } from '../../src/backfill/adaptiveRate.ts';
import { RateLimiter } from '../../src/backfill/rateLimiter.ts';

function adaptive(cap: number) {
  const limiter = new RateLimiter(cap);
  const notes: string[] = [];
  const rate = new AdaptiveRate(limiter, cap, { note: (message) => void notes.push(message) });
  return { limiter, notes, rate };
}

describe('AdaptiveRate', () => {
  it('halves the rate when a slice fails, and again while failures go on', () => {
    const { limiter, notes, rate } = adaptive(200);
    rate.observe(100, 0.5, 200);
    expect(limiter.rate).toBe(100);
    rate.observe(100, 1, 100);
    expect(limiter.rate).toBe(50);
    // Said once per slow-down, not once per failing slice.
    expect(notes).toEqual(['gateway failing: slowing down to 100/s']);
  });

  it('never goes below a twentieth of the cap', () => {
    const { limiter, rate } = adaptive(200);
    for (let i = 0; i < 10; i++) rate.observe(100, 1, limiter.rate);
    expect(limiter.rate).toBe(10);
  });

  it('wins 20% back per healthy slice until the full rate is restored', () => {
    const { limiter, notes, rate } = adaptive(200);
    rate.observe(100, 1, 200);
    rate.observe(100, 0, 100);
    expect(limiter.rate).toBeCloseTo(120);
    rate.observe(100, 0, 120);
    expect(limiter.rate).toBeCloseTo(144);
    rate.observe(100, 0, 144);
    expect(limiter.rate).toBeCloseTo(172.8);
    rate.observe(100, 0, 172.8);
    expect(limiter.rate).toBe(200);
    expect(notes.at(-1)).toBe('gateway healthy again: back to the full rate');
  });

  it('slows down for a slice far slower than the typical one, once it knows what typical is', () => {
    const { limiter, notes, rate } = adaptive(200);
    // During the warm-up a slow slice is start-up noise.
    rate.observe(100, 0, 200);
    rate.observe(5_000, 0, 200);
    expect(limiter.rate).toBe(200);
    for (let i = 0; i < 10; i++) rate.observe(100, 0, 200);
    rate.observe(5_000, 0, 200);
    expect(limiter.rate).toBe(100);
    expect(notes).toEqual(['gateway slow: slowing down to 100/s']);
  });
});
