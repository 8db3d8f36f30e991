import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, estypes } from '@elastic/elasticsearch';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logger.ts';
import type { DeadLetter, DeadLetterQueue } from './deadLetters.ts';
import type { DocumentCodec, DocumentRecord } from './documentCodec.ts';
import type { PipelineMetrics } from './pipelineMetrics.ts';
import type { PipelineTopology } from '../index/pipelineTopology.ts';
import { commitBatch } from './commitBatch.ts';

export interface SinkStageDeps {
  topology: PipelineTopology;
  elasticsearch: Client;
  codec: DocumentCodec;
  deadLetters: DeadLetterQueue;
  metrics: PipelineMetrics;
  logger: Logger;
  /** Indices written besides the alias (a reindex under way writes old and new). */
  extraTargets?: () => string[];
}

interface PendingWrite {
  record: DocumentRecord;
  message: KafkaMessage;
}

/** Bulk item outcomes that mean "try again later": the cluster is busy or a shard is not there. */
function isRetryable(status: number): boolean {
  return status === 429 || status >= 500;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * The documents topic → Elasticsearch. Each document is written with its fetch time as an
 * external version (`external_gte`), so a stale document never overwrites a newer one and a
 * redelivered one is harmless. Retryable failures back off and hold the partition (backpressure,
 * nothing lost); permanent ones (a mapping error) go to the dead-letter topic with the reason.
 */
export class SinkStage {
  constructor(private readonly deps: SinkStageDeps) {}

  async run(consumer: Consumer): Promise<void> {
    await consumer.subscribe({ topics: [this.deps.topology.documentsTopic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.handleBatch(payload, consumer),
    });
  }

  private async handleBatch(payload: EachBatchPayload, consumer: Consumer): Promise<void> {
    const { batch, heartbeat, resolveOffset, isRunning, isStale } = payload;
    if (batch.isEmpty() || !isRunning() || isStale()) return;
    const { codec, deadLetters, metrics, logger, topology } = this.deps;
    const letters: DeadLetter[] = [];
    // Within a batch only the newest version of each document matters (what compaction keeps).
    const latest = new Map<string, PendingWrite>();
    for (const message of batch.messages) {
      try {
        const record = codec.fromMessage(message);
        const known = latest.get(record.id);
        if (!known || record.version >= known.record.version) latest.set(record.id, { record, message });
      } catch (error) {
        const reason = (error as Error).message;
        logger.error({ topic: batch.topic, partition: batch.partition, offset: message.offset }, `unreadable document: ${reason}`);
        letters.push(this.documentLetter(message, batch.partition, reason));
      }
    }

    let pending = [...latest.values()];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        metrics.retries.inc({ stage: 'sink', reason: 'retryable bulk failure' }, pending.length);
        logger.warn({ partition: batch.partition, documents: pending.length, attempt, delayMs: Math.round(delay) }, 'Elasticsearch busy or unreachable; backing off');
        await sleep(delay);
        await heartbeat();
        // On shutdown or rebalance, stop without committing: the batch is read again later.
        if (!isRunning() || isStale()) throw new Error('sink stopping with writes pending; the batch will be redelivered');
      }
      pending = await this.write(pending, letters, batch.partition);
    }

    await deadLetters.send(letters);
    for (const _ of letters) metrics.deadLetters.inc({ stage: 'sink', kind: 'document' });
    await commitBatch(consumer, batch, resolveOffset, metrics, topology.sinkGroup);
  }

  /** One bulk request; returns the writes to retry. Permanent failures become dead letters. */
  private async write(writes: PendingWrite[], letters: DeadLetter[], partition: number): Promise<PendingWrite[]> {
    const { elasticsearch, topology, metrics, logger } = this.deps;
    const targets = [topology.alias, ...(this.deps.extraTargets?.() ?? [])];
    const operations: Array<estypes.BulkOperationContainer | Record<string, unknown>> = [];
    const slots: PendingWrite[] = [];
    for (const write of writes) {
      for (const target of targets) {
        const meta = { _index: target, _id: write.record.id, version: write.record.version, version_type: 'external_gte' as const };
        if (write.record.document === null) operations.push({ delete: meta });
        else operations.push({ index: meta }, write.record.document);
        slots.push(write);
      }
    }
    let response: estypes.BulkResponse;
    try {
      response = await elasticsearch.bulk({ operations });
    } catch (error) {
      logger.warn({ err: error, documents: writes.length }, 'bulk request failed');
      return writes;
    }
    const retry = new Set<PendingWrite>();
    response.items.forEach((item, position) => {
      const write = slots[position] as PendingWrite;
      const operation = write.record.document === null ? 'delete' : 'index';
      const result = item.index ?? item.delete;
      const status = result?.status ?? 500;
      if (status < 300 || (operation === 'delete' && status === 404)) {
        metrics.documentsWritten.inc({ operation, result: 'ok' });
        if (write.record.eventTsMs !== null) metrics.endToEndLatency.observe(Math.max(0, Date.now() - write.record.eventTsMs) / 1000);
      } else if (status === 409) {
        // A newer version is already there: this document is stale, which is exactly the point.
        metrics.documentsWritten.inc({ operation, result: 'stale' });
      } else if (isRetryable(status)) {
        retry.add(write);
      } else {
        const reason = `Elasticsearch refused ${operation} of ${write.record.id} in ${result?._index}: ${result?.error?.type}: ${result?.error?.reason}`;
        logger.error({ entityId: write.record.id, topic: topology.documentsTopic, partition, offset: write.message.offset }, reason);
        metrics.documentsWritten.inc({ operation, result: 'dead-lettered' });
        letters.push(this.documentLetter(write.message, partition, reason, write.record.id));
      }
    });
    return [...retry];
  }

  private documentLetter(message: KafkaMessage, partition: number, reason: string, entityId: string | null = null): DeadLetter {
    return {
      kind: 'document',
      stage: 'sink',
      reason,
      entityId: entityId ?? message.key?.toString('utf8') ?? null,
      source: { topic: this.deps.topology.documentsTopic, partition, offset: message.offset },
      key: message.key,
      value: message.value,
      ...(message.headers ? { headers: message.headers } : {}),
    };
  }
}
