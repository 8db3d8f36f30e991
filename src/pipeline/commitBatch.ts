import type { Batch, Consumer } from 'kafkajs';
import type { PipelineMetrics } from './pipelineMetrics.ts';

/**
 * Marks a fully handled batch as done: resolves its last offset, commits the next one, and
 * records how far behind the partition the group still is. Called only once the next step holds
 * the batch's work durably — that order is the at-least-once guarantee.
 */
export async function commitBatch(
  consumer: Consumer,
  batch: Batch,
  resolveOffset: (offset: string) => void,
  metrics: PipelineMetrics,
  group: string,
): Promise<void> {
  resolveOffset(batch.lastOffset());
  await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: nextOffset(batch) }]);
  recordLag(metrics, group, batch);
}

/** The offset a group commits once `batch` is done: the one after its last. */
export function nextOffset(batch: Batch): string {
  return (BigInt(batch.lastOffset()) + 1n).toString();
}

/** How far behind its partition the group is after `batch`. */
export function recordLag(metrics: PipelineMetrics, group: string, batch: Batch): void {
  metrics.consumerLag.set({ group, topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
}
