import { RATE_BACKOFF } from '../retryPolicy.ts';
import type { BackfillProgress } from './backfillProgress.ts';
import type { RateLimiter } from './rateLimiter.ts';

/**
 * Protects the gateway: divides the rate by the backoff factor (halves it) when a slice fails or
 * is far slower than usual (over 4× the typical latency and 2 s more), then wins back 20% after
 * each healthy slice until the cap (or, uncapped, twice the throughput it slowed down from) is
 * reached again. The typical latency is learnt from healthy slices after a warm-up, so start-up
 * noise does not trigger it.
 */
export class AdaptiveRate {
  private typicalMs: number | null = null;
  private healthySlices = 0;
  private ceiling: number | null = null;

  constructor(
    private readonly limiter: Pick<RateLimiter, 'rate' | 'setRate'>,
    private readonly cap: number,
    private readonly progress: Pick<BackfillProgress, 'note'>,
  ) {}

  /** `achievedRate`: entities per second over the last few seconds. */
  observe(latencyMs: number, failureRatio: number, achievedRate: number): void {
    const typical = this.typicalMs;
    const slow = typical !== null && this.healthySlices >= 10 && latencyMs > Math.max(typical * 4, typical + 2_000);
    if (failureRatio > 0 || slow) {
      const from = Number.isFinite(this.limiter.rate) ? Math.min(this.limiter.rate, Math.max(achievedRate, 1)) : Math.max(achievedRate, 1);
      const slower = Math.max(from / RATE_BACKOFF.factor, Number.isFinite(this.cap) ? this.cap * RATE_BACKOFF.floorOfCap : 1);
      if (this.ceiling === null) {
        this.ceiling = Number.isFinite(this.cap) ? this.cap : Math.max(achievedRate, 1) * 2;
        this.progress.note(`gateway ${failureRatio > 0 ? 'failing' : 'slow'}: slowing down to ${Math.round(slower)}/s`);
      }
      this.limiter.setRate(slower);
      return;
    }
    this.healthySlices++;
    this.typicalMs = typical === null ? latencyMs : typical * 0.9 + latencyMs * 0.1;
    if (this.ceiling !== null) {
      const faster = this.limiter.rate * RATE_BACKOFF.recovery;
      if (faster >= this.ceiling) {
        this.limiter.setRate(this.cap);
        this.ceiling = null;
        this.progress.note('gateway healthy again: back to the full rate');
      } else this.limiter.setRate(faster);
    }
  }
}
