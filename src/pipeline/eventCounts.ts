import type { Batch } from '../clients/kafkajs.ts';
import type { Logger } from '../logger.ts';
import type { DeadLetter } from './deadLetters.ts';
import type { RoutedEvents } from './enrichSteps.ts';
import type { PipelineEvents } from './pipelineEvents.ts';

/**
 * The `enrich.events` counts (fedsearch_events_total), each event counted once however often its
 * batch is read: a batch whose dead letters could not be written yet, or that was sent back before
 * its commit, is read again, and counting it each time made one stuck event look like thousands. A partition's offsets only
 * grow, so the highest one counted tells which events of a batch were.
 */
export class EventCounts {
  private readonly highestCounted = new Map<string, bigint>();

  constructor(
    private readonly events: PipelineEvents,
    private readonly logger: Logger,
  ) {}

  /**
   * Once a batch's dead letters are written: counts its events not counted before as decoded or
   * undecodable (each event is read by each of its topic's `routes`, and is decoded or
   * dead-lettered by each, or skipped: `skipped`), and logs each undecodable one. `letters` may
   * hold other kinds too.
   */
  count(batch: Pick<Batch, 'topic' | 'partition' | 'messages'>, routes: number, letters: readonly DeadLetter[], skipped: RoutedEvents['skipped'] = []): void {
    const last = batch.messages.at(-1);
    if (last === undefined) return;
    const partition = `${batch.topic}/${batch.partition}`;
    const before = this.highestCounted.get(partition) ?? -1n;
    const fresh = batch.messages.filter((message) => BigInt(message.offset) > before).length;
    if (fresh === 0) return;
    this.highestCounted.set(partition, BigInt(last.offset));
    const undecodable = letters.filter((letter) => letter.kind === 'event' && letter.source !== null && BigInt(letter.source.offset) > before);
    const passedOver = skipped.filter((skip) => BigInt(skip.offset) > before);
    const skippedBy = new Map<string, number>();
    for (const skip of passedOver) skippedBy.set(skip.reason, (skippedBy.get(skip.reason) ?? 0) + 1);
    for (const [reason, count] of skippedBy) this.events.emit('enrich.skipped', { topic: batch.topic, reason, count });
    const decoded = fresh * routes - undecodable.length - passedOver.length;
    this.events.emit('enrich.events', { topic: batch.topic, decoded, undecodable: undecodable.length });
    for (const letter of undecodable) this.logger.warn({ ...letter.source, reason: letter.reason }, 'undecodable change event sent to the dead-letter topic');
  }
}
