import type { Batch, EachBatchPayload } from '../clients/kafkajs.ts';
import type { PipelineEvents } from './pipelineEvents.ts';

/**
 * Marks a fully handled batch as done: resolves its last offset, commits the next one, and
 * records how far behind the partition the group still is. Called only once the next step holds
 * the batch's work durably — that order is the at-least-once guarantee.
 *
 * The commit goes through the batch's own `commitOffsetsIfNecessary`, not `consumer.commitOffsets`:
 * the latter wraps a refusal in kafkajs's retrier, which turns "the coordinator is not aware of
 * this member" (a member evicted while it waited) into a non-retriable error that stops the
 * consumer for good; unwrapped, kafkajs's runner rejoins the group and the batch is read again.
 */
export async function commitBatch(
  payload: Pick<EachBatchPayload, 'batch' | 'resolveOffset' | 'commitOffsetsIfNecessary'>,
  events: PipelineEvents,
  group: string,
): Promise<void> {
  payload.resolveOffset(payload.batch.lastOffset());
  await commitNext(payload, nextOffset(payload.batch));
  reportLag(events, group, payload.batch);
}

/** Commits `offset` as the next one the group reads in the batch's partition, through the batch (see commitBatch). */
export async function commitNext(payload: Pick<EachBatchPayload, 'batch' | 'commitOffsetsIfNecessary'>, offset: string): Promise<void> {
  const { batch } = payload;
  await payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }] });
}

/** The offset a group commits once `batch` is done: the one after its last. */
export function nextOffset(batch: Batch): string {
  return (BigInt(batch.lastOffset()) + 1n).toString();
}

/** How far behind its partition the group is after `batch`. */
export function reportLag(events: PipelineEvents, group: string, batch: Batch): void {
  events.emit('consumer.lag', { group, topic: batch.topic, partition: batch.partition, lag: Number(batch.offsetLag()) });
}
