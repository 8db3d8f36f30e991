import type { Client } from '@elastic/elasticsearch';
import { acknowledgeReindexTarget, readIndexMetadata, type IndexMetadata } from '../index/indexMetadata.ts';
import type { Logger } from '../logger.ts';
import { readReindexTarget, type ReindexTargetFields } from './reindexTargetReads.ts';

/** How often a sink reads the metadata record for a reindex target. */
const POLL_MS = 1_000;

/**
 * Every how many polls the whole record is read (its Avro schemas, for `onMetadata`), besides on
 * each new announcement: the record is tens of KiB, the target fields a few bytes.
 */
const FULL_READ_EVERY = 10;

/**
 * Follows `reindexTarget` in the index's metadata record, so a running sink writes to the version
 * a `backfill --new-version` is building as well as to the alias — and says so: once it writes to
 * a target, it acknowledges it under its member id in the sink group. Backfill waits for every
 * live sink's acknowledgement before it fetches anything, so no live update can reach only the
 * old version after the new one was filled; nothing depends on how often this polls.
 */
export class ReindexTargetWatch {
  private current: string | null;
  private announcement: string | null;
  private acknowledged: string | null = null;
  private polls = 0;
  private sinkId: string | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: Client,
    private readonly index: string,
    initial: { reindexTarget?: string | null; reindexAnnouncement?: string | null },
    private readonly logger: Logger,
    /**
     * Each whole metadata record read — on each new announcement, before it is acknowledged, and
     * every FULL_READ_EVERY polls (the sink's codec learns the schemas provisioned since it started).
     */
    private readonly onMetadata: (metadata: IndexMetadata) => void = () => {},
    /** How the record's target fields are read (a `run` of many indexes gathers its sinks' reads: reindexTargetReads.ts). */
    private readonly read: (index: string) => Promise<ReindexTargetFields | undefined> = (index) => readReindexTarget(client, index),
  ) {
    this.current = initial.reindexTarget ?? null;
    this.announcement = initial.reindexAnnouncement ?? null;
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  /** Indices the sink writes to besides the alias. */
  targets(): string[] {
    return this.current ? [this.current] : [];
  }

  /** The sink (re)joined its consumer group under this member id: acknowledge the target under it. */
  joined(sinkId: string): void {
    this.sinkId = sinkId;
    this.acknowledged = null;
    void this.acknowledge();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    try {
      const metadata = await this.read(this.index);
      const announced = (metadata?.reindexAnnouncement ?? null) !== null && metadata?.reindexAnnouncement !== this.announcement;
      if (announced || this.polls++ % FULL_READ_EVERY === 0) {
        const whole = await readIndexMetadata(this.client, this.index);
        if (whole) this.onMetadata(whole);
      }
      const target = metadata?.reindexTarget ?? null;
      if (target !== this.current) {
        this.logger.info({ reindexTarget: target }, target ? 'writing to the new version too' : 'reindex target cleared');
      }
      this.current = target;
      this.announcement = metadata?.reindexAnnouncement ?? null;
      await this.acknowledge();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read the index metadata');
    }
  }

  /** Writes the acknowledgement once per announcement and member id; a failure is tried again next poll. */
  private async acknowledge(): Promise<void> {
    const { current, announcement, sinkId } = this;
    if (current === null || announcement === null || sinkId === null || this.acknowledged === `${sinkId} ${announcement}`) return;
    try {
      await acknowledgeReindexTarget(this.client, this.index, sinkId, { target: current, announcement });
      this.acknowledged = `${sinkId} ${announcement}`;
      this.logger.info({ reindexTarget: current, sinkId }, 'acknowledged the reindex target');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not acknowledge the reindex target; trying again');
    }
  }
}
