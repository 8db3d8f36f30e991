import { setTimeout as sleep } from 'node:timers/promises';
import type { LiveWork } from '../pipeline/liveWork.ts';

/** When a backfill waits for the live pipeline. */
export interface LiveWorkLimits {
  /** More documents than this waiting for the sinks: the backfill waits (its own count, as they write them all). */
  documents: number;
  /** More change events than this not yet finished by the live enrich stage: the backfill fetches one slice at a time. */
  changeEvents: number;
}

export interface LiveWorkYieldOptions {
  /** How old a reading may be before it is read again (one reading serves every slice asking meanwhile). */
  pollMs?: number;
  /** The longest one slice waits: a live pipeline that is stuck (or always busy) slows a backfill, never stops it. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<unknown>;
  now?: () => number;
  /**
   * Told why the live pipeline's work could not be read (the reading failed, or did not come in
   * time), once until a reading succeeds again: slices then go without waiting, and whoever runs
   * the backfill should know it is not yielding.
   */
  onUnread?: (reason: string) => void;
}

/** How much earlier than performance.now() a Node.js timer may fire (its clock is libuv's, in whole milliseconds). */
const TIMER_SLACK_MS = 5;

/** One reading of the live pipeline's work: when it began (by `now`, and in real time), and whether it has come. */
interface Reading {
  at: number;
  startedAt: number;
  work: Promise<LiveWork | null>;
  settled: boolean;
}

/**
 * A backfill shares the gateway, Kafka, the sinks and Elasticsearch with the index's live
 * pipeline, and its documents go through the same sinks: every document it gets ahead of them is
 * one a live change waits behind. So before each slice it waits while the sinks have more than a
 * few of its documents waiting, and while the live enrich stage has change events unfinished it
 * lets one slice fetch at a time (LiveWorkLimits) — waiting up to `maxWaitMs` a slice either way.
 * A reading that fails counts as no work pending (onUnread is told why): the live pipeline's health is not the
 * backfill's to judge.
 */
export class LiveWorkYield {
  private reading: Reading | null = null;
  private waitedMs = 0;
  /** Slices let go and not done yet. */
  private fetching = 0;
  /** Slices waiting for one of those to be done. */
  private readonly waiting: Array<() => void> = [];
  private readonly pollMs: number;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<unknown>;
  private readonly now: () => number;
  private readonly onUnread: (reason: string) => void;
  /** Whether onUnread was told since the last reading that succeeded. */
  private unreadTold = false;

  constructor(
    private readonly read: () => Promise<LiveWork>,
    private readonly limits: LiveWorkLimits,
    options: LiveWorkYieldOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 200;
    this.maxWaitMs = options.maxWaitMs ?? 2_000;
    this.sleep = options.sleep ?? sleep;
    this.now = options.now ?? (() => performance.now());
    this.onUnread = options.onUnread ?? (() => {});
  }

  /**
   * Resolves once the slice may go — the sinks have little waiting, and no other slice is fetching
   * while live change events are — or after `maxWaitMs`; call the answer when the slice is done.
   */
  async turn(): Promise<() => void> {
    const started = this.now();
    for (;;) {
      // A slice that has waited its time goes without another reading (one begun with no time
      // left to come would only be reported late).
      const before = this.maxWaitMs - (this.now() - started);
      if (before <= 0) break;
      const work = await this.currentWithin(before);
      const left = this.maxWaitMs - (this.now() - started);
      if (left <= 0 || work === null) break;
      if (work.documents > this.limits.documents) await this.sleep(Math.min(this.pollMs, left));
      else if (work.changeEvents > this.limits.changeEvents && this.fetching > 0) await Promise.race([this.sliceDone(), this.sleep(Math.min(this.pollMs, left))]);
      else break;
    }
    this.waitedMs += this.now() - started;
    this.fetching++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.fetching--;
      for (const wake of this.waiting.splice(0)) wake();
    };
  }

  private sliceDone(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Milliseconds slices have waited for the live pipeline in all (summed over concurrent slices). */
  get totalWaitedMs(): number {
    return this.waitedMs;
  }

  /**
   * The current reading, or null (nothing pending) once `ms` pass without it: with Kafka
   * unreachable, the admin's requests retry for minutes before they fail, and every slice would
   * wait for them. A real timer, whatever `now` says: it bounds a wait that no clock moves.
   */
  private async currentWithin(ms: number): Promise<LiveWork | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms), 'late')));
    try {
      const work = await Promise.race([this.current(), late]);
      if (work !== 'late') return work;
      // Late for this slice is not yet late for Kafka: told once it has had a whole maxWaitMs.
      // A timer fires by libuv's millisecond loop clock, up to a millisecond before
      // performance.now() says its delay has passed: TIMER_SLACK_MS keeps a reading that has had
      // the slice's whole wait from being taken for one that has not.
      const pendingMs = performance.now() - (this.reading?.startedAt ?? performance.now());
      if (pendingMs + TIMER_SLACK_MS >= this.maxWaitMs) this.unread(`no answer from Kafka within ${Math.round(pendingMs)} ms`);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  private current(): Promise<LiveWork | null> {
    const now = this.now();
    // A reading still under way is waited for, however old: one more per poll would pile up
    // requests against a Kafka that answers none of them.
    if (this.reading && (now - this.reading.at < this.pollMs || !this.reading.settled)) return this.reading.work;
    const reading: Reading = { at: now, startedAt: performance.now(), work: Promise.resolve(null), settled: false };
    reading.work = this.read()
      .then(
        (work) => {
          this.unreadTold = false;
          return work;
        },
        (error: unknown) => {
          this.unread(error instanceof Error ? error.message : String(error));
          return null;
        },
      )
      .finally(() => {
        reading.settled = true;
      });
    this.reading = reading;
    return reading.work;
  }

  private unread(reason: string): void {
    if (this.unreadTold) return;
    this.unreadTold = true;
    this.onUnread(reason);
  }
}
