import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The index refreshes the second reverse lookup needs, shared between the batches that need them.
 * A batch needs a refresh that started after the sink acknowledged its writes (`settledAt`): one
 * already running that started since then serves it, as does the next one, which every batch
 * waiting meanwhile shares; refreshes start at most once per `minIntervalMs`. Related-heavy traffic
 * (eight partitions' batches at once, one after another) then costs at most one forced refresh per
 * interval instead of one per batch — the same cadence as Elasticsearch's own refresh interval.
 */
export class SharedRefresh {
  private lastStartedAt = Number.NEGATIVE_INFINITY;
  private running: { startedAt: number; done: Promise<void> } | null = null;
  private next: Promise<void> | null = null;

  constructor(
    private readonly refresh: () => Promise<unknown>,
    private readonly minIntervalMs: number,
    private readonly onRefresh: () => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves once a refresh that started at or after `settledAt` (a `now()` reading) has finished. */
  after(settledAt: number): Promise<void> {
    if (this.running && this.running.startedAt >= settledAt) return this.running.done;
    // The next refresh starts later than now, so after settledAt too.
    this.next ??= this.startNext();
    return this.next;
  }

  private async startNext(): Promise<void> {
    const wait = this.lastStartedAt + this.minIntervalMs - this.now();
    if (wait > 0) await sleep(wait);
    // One at a time: a refresh started while another runs would not finish sooner.
    await this.running?.done.catch(() => undefined);
    this.next = null;
    const startedAt = this.now();
    this.lastStartedAt = startedAt;
    this.onRefresh();
    const done = this.refresh().then(() => undefined);
    const running = { startedAt, done };
    this.running = running;
    // A failed refresh serves nobody later: they start another.
    done.catch(() => {
      if (this.running === running) this.running = null;
    });
    return done;
  }
}
