import { heartbeatWhile } from './heartbeatWhile.ts';

/** What a batch holds from its start: `add` refuses it if its partition was sent back or the group rebalanced since. */
export interface CommitTicket {
  readonly generation: number;
  readonly epoch: number;
}

interface Lane {
  /** Bumped when work of the partition fails and it is read again from that batch. */
  epoch: number;
  /** One per batch queued and not yet committed (or skipped), oldest first. */
  links: Array<Promise<void>>;
}

export interface OrderedCommitsHooks {
  /** Commits `nextOffset`; a failure here is the hook's to report (a later batch's commit covers it). */
  commit(topic: string, partition: number, nextOffset: string): Promise<void>;
  /** A batch's work failed: the partition must be read again from `firstOffset` (nothing after it was committed). */
  redo(topic: string, partition: number, firstOffset: string, error: unknown): void;
}

/**
 * Offsets of a consumer's batches committed per partition strictly in batch order, while the last
 * part of each batch's work (the enrich stage's second reverse lookup) finishes in the background,
 * so a partition is not held for it. A batch's offset is committed only once its own work and that
 * of every earlier batch of the partition are done — at-least-once as before. Work that fails
 * sends its partition back to that batch (`redo`), and nothing queued after it is committed; a
 * rebalance (`reset`) drops everything queued: whoever holds a partition next reads it from its
 * last commit.
 */
export class OrderedCommits {
  private readonly lanes = new Map<string, Lane>();
  private generation = 0;

  constructor(private readonly hooks: OrderedCommitsHooks) {}

  ticket(topic: string, partition: number): CommitTicket {
    return { generation: this.generation, epoch: this.lane(topic, partition).epoch };
  }

  /** False once the partition was sent back or the group rebalanced after the ticket was taken. */
  isCurrent(topic: string, partition: number, ticket: CommitTicket): boolean {
    return ticket.generation === this.generation && ticket.epoch === this.lane(topic, partition).epoch;
  }

  /**
   * Queues a batch: `nextOffset` is committed once `work` and every batch queued before it on the
   * partition are done. Returns false (and queues nothing) when the ticket is no longer current.
   */
  add(topic: string, partition: number, ticket: CommitTicket, offsets: { first: string; next: string }, work: Promise<void>): boolean {
    // Handled from now on: the link below reads the failure only once the batches before it are done.
    work.catch(() => undefined);
    if (!this.isCurrent(topic, partition, ticket)) return false;
    const lane = this.lane(topic, partition);
    const previous = lane.links.at(-1);
    const link: Promise<void> = (async () => {
      try {
        // In order: an earlier batch of the partition is committed, or has sent it back, first.
        await previous;
        let failure: { error: unknown } | null = null;
        try {
          await work;
        } catch (error) {
          failure = { error };
        }
        // Sent back by an earlier batch, or rebalanced: whoever reads the partition next redoes this one.
        if (!this.isCurrent(topic, partition, ticket)) return;
        if (failure) {
          lane.epoch++;
          this.hooks.redo(topic, partition, offsets.first, failure.error);
          return;
        }
        await this.hooks.commit(topic, partition, offsets.next);
      } catch {
        // The commit hook reports its own failures.
      } finally {
        // Each link waits for the one before it, so they finish oldest first.
        lane.links.shift();
      }
    })();
    lane.links.push(link);
    return true;
  }

  /**
   * Resolves once fewer than `max` batches of the partition wait for their work or an earlier one,
   * running `whileWaiting` every `everyMs` meanwhile (a consumer's heartbeat: the wait may be long).
   */
  async below(topic: string, partition: number, max: number, whileWaiting: () => Promise<void> = async () => {}, everyMs = 1_000): Promise<void> {
    const lane = this.lane(topic, partition);
    while (lane.links.length >= max) await heartbeatWhile(lane.links[0] as Promise<unknown>, whileWaiting, everyMs);
  }

  /** Resolves once every batch queued so far is committed or skipped. */
  async settled(): Promise<void> {
    for (const lane of this.lanes.values()) while (lane.links.length > 0) await lane.links.at(-1);
  }

  /** A rebalance: nothing queued before it is committed. */
  reset(): void {
    this.generation++;
  }

  private lane(topic: string, partition: number): Lane {
    const key = `${topic}\u0000${partition}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { epoch: 0, links: [] };
      this.lanes.set(key, lane);
    }
    return lane;
  }
}
