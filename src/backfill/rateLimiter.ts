import { setTimeout as sleep } from 'node:timers/promises';

/** Catch-up allowed after a pause, so a stall is not followed by a long burst. */
const MAX_CATCH_UP_MS = 250;

/**
 * "At most N entities per second", with the rate adjustable while running (adaptive slow-down).
 * Each taker is given the next free slot on a timeline: `count` entities occupy count / rate
 * seconds of it. A run therefore holds the cap from its first entity, with no initial burst.
 */
export class RateLimiter {
  private nextFree = performance.now();

  constructor(private ratePerSecond: number) {}

  get rate(): number {
    return this.ratePerSecond;
  }

  setRate(ratePerSecond: number): void {
    this.ratePerSecond = ratePerSecond;
  }

  /** Waits for the slot of `count` entities. */
  async take(count: number): Promise<void> {
    if (!Number.isFinite(this.ratePerSecond)) return;
    const now = performance.now();
    const start = Math.max(this.nextFree, now - MAX_CATCH_UP_MS);
    this.nextFree = start + (count / this.ratePerSecond) * 1000;
    if (start > now) await sleep(start - now);
  }
}
