import type { Logger } from '../logger.ts';
import { committedOffsets, endOffsets, hasCaughtUp, type OffsetsAdmin } from './consumerGroupProgress.ts';

/** How often an index of a `run` of many looks for dead letters its retries have not read. */
export const DEAD_LETTER_CHECK_MS = 10_000;

/**
 * Starts an index's dead-letter retries (the `<index>-recover` consumer) only once its dead-letter
 * topic holds letters the group has not committed past, for a `run` of many indexes: most
 * indexes have no letters most of the time, and a consumer per index that waits for none costs
 * the process two connections, a heartbeat every 3 s and a fetch every 5 s each (a group member
 * on the broker too). Two offset reads on the process's shared admin every `everyMs` cost less.
 * Once started, the consumer runs until the pipeline stops. A check that fails (Kafka away) is
 * tried again at the next.
 */
export class DeadLetterWatch {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | null = null;
  private stopped = false;
  private started = false;

  constructor(
    private readonly deps: {
      admin: () => Promise<OffsetsAdmin>;
      topic: string;
      groupId: string;
      /** Starts the recover consumer (StageConsumers.start). */
      startRetries: () => Promise<void>;
      logger: Logger;
      everyMs?: number;
    },
  ) {}

  /** Checks now, then every `everyMs` until the retries start or the watch stops. */
  start(): this {
    this.check();
    this.timer = setInterval(() => this.check(), this.deps.everyMs ?? DEAD_LETTER_CHECK_MS);
    this.timer.unref();
    return this;
  }

  /** Whether the recover consumer was started. */
  get retriesStarted(): boolean {
    return this.started;
  }

  /** No more checks; a check or start under way finishes first (a consumer it connects is stopped with the others). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
  }

  private check(): void {
    if (this.checking || this.stopped || this.started) return;
    this.checking = (async () => {
      try {
        const admin = await this.deps.admin();
        const end = await endOffsets(admin, this.deps.topic);
        if (hasCaughtUp(await committedOffsets(admin, this.deps.groupId, this.deps.topic), end)) return;
        if (this.stopped) return;
        this.started = true;
        clearInterval(this.timer);
        this.deps.logger.info({ groupId: this.deps.groupId }, 'dead letters to retry: starting the retries');
        try {
          await this.deps.startRetries();
        } catch (error) {
          // Tried again at the next check.
          this.started = false;
          if (!this.stopped) this.timer = setInterval(() => this.check(), this.deps.everyMs ?? DEAD_LETTER_CHECK_MS).unref();
          throw error;
        }
      } catch (error) {
        this.deps.logger.warn({ err: error, groupId: this.deps.groupId }, 'could not check for dead letters to retry; checking again later');
      } finally {
        this.checking = null;
      }
    })();
  }
}
