import type { estypes } from '@elastic/elasticsearch';
import { ELASTICSEARCH_BACKOFF, elasticsearchRetryReason, retryUntilDone, type RetryReason } from '../retryPolicy.ts';
import type { Consumer, EachBatchPayload, KafkaMessage } from '../clients/kafkajs.ts';
import type { Logger } from '../logger.ts';
import type { DeadLetter, DeadLetterQueue } from './deadLetters.ts';
import type { DocumentCodec } from './documentCodec.ts';
import { readDocuments, type SinkDecoding, type SinkRecord } from './sinkDecoding.ts';
import type { PipelineEvents, WriteCounts } from './pipelineEvents.ts';
import type { PipelineTopology } from '../index/pipelineTopology.ts';
import { commitBatch } from './commitBatch.ts';
import { SpanKind } from '@opentelemetry/api';
import { batchSpan, inSpan, tracer } from '../tracing/traces.ts';
import { HEARTBEAT_EVERY_MS, heartbeatWhile } from './heartbeatWhile.ts';

/** The one Elasticsearch call the sink makes; a Client is one, and a test can pass a fake. */
export interface BulkClient {
  bulk(request: estypes.BulkRequest): Promise<estypes.BulkResponse>;
}

export interface SinkStageDeps {
  topology: Pick<PipelineTopology, 'alias' | 'documentsTopic' | 'sinkGroup'>;
  elasticsearch: BulkClient;
  codec: Pick<DocumentCodec, 'fromMessage' | 'readHeaders' | 'decodeValue'>;
  /** Worker threads that decode the documents (pipeline.workers); without, the event loop does. */
  decoding?: Pick<SinkDecoding, 'decode'>;
  deadLetters: Pick<DeadLetterQueue, 'send'>;
  /** Where the sink reports batches, writes, retries and dead letters (metrics subscribe). */
  events: PipelineEvents;
  logger: Logger;
  /** Indices written besides the alias (a reindex under way writes old and new). */
  extraTargets?: () => string[];
  /** How the backoff waits (a test passes one that does not). */
  sleep?: (ms: number) => Promise<unknown>;
  /** How often a batch waiting on Elasticsearch heartbeats (default HEARTBEAT_EVERY_MS). */
  heartbeatEveryMs?: number;
}

/** The parts of a bulk answer the sink asks for (Elasticsearch's `filter_path`): `errors` is kept so a trimmed answer still says whether any item failed. */
const BULK_RESPONSE_FIELDS = ['errors', 'items.*.status', 'items.*.error', 'items.*._index'];

interface PendingWrite {
  record: SinkRecord;
  message: KafkaMessage;
}

/** Writes to try again, with why. */
type Retries = Map<PendingWrite, RetryReason>;

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
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale } = payload;
    if (batch.isEmpty() || !isRunning() || isStale()) return;
    // The documents carry their produce span's context: one trace's documents make this batch's
    // span a child in that trace, and every trace they came from is linked.
    const span = batchSpan('fedsearch.sink', batch, this.deps.topology.sinkGroup);
    await inSpan(span, () => this.writeBatch(payload));
  }

  private async writeBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const { codec, deadLetters, events, logger, topology } = this.deps;
    events.emit('sink.batch', { partition: batch.partition, messages: batch.messages.length });
    // A bulk request can outlast the session timeout (Elasticsearch frozen, a GC pause): without
    // heartbeats meanwhile the member is evicted and its commit refused.
    const whileWaiting = <T>(work: Promise<T>): Promise<T> => heartbeatWhile(work, heartbeat, this.deps.heartbeatEveryMs ?? HEARTBEAT_EVERY_MS);
    const letters: DeadLetter[] = [];
    // Within a batch only the newest version of each document matters (what compaction keeps) —
    // per set of targets: a reindex's document goes to the version being built alone, so a live
    // change it is newer than must still reach the alias (the version searches read until the
    // swap, and for good if the reindex is abandoned). A reindex's document no newer than a live
    // change is left out: the live change goes to every target, the new version included.
    // Keyed by id, and a reindex's documents by id and version built.
    const latest = new Map<string, PendingWrite>();
    const context = `${topology.documentsTopic} partition ${batch.partition}, offsets ${batch.firstOffset() ?? batch.lastOffset()}-${batch.lastOffset()}`;
    const read = await whileWaiting(readDocuments(batch.messages, codec, this.deps.decoding, context, (error) =>
      logger.warn({ err: error, topic: batch.topic, partition: batch.partition }, 'the decode workers failed; this batch is decoded on the event loop'),
    ));
    read.forEach((outcome, n) => {
      const message = batch.messages[n] as KafkaMessage;
      if ('error' in outcome) {
        logger.error({ topic: batch.topic, partition: batch.partition, offset: message.offset }, `unreadable document: ${outcome.error}`);
        letters.push(this.documentLetter(message, batch.partition, outcome.error));
        return;
      }
      const key = outcome.onlyInto === undefined ? outcome.id : `${outcome.id}\u0000${outcome.onlyInto}`;
      const known = latest.get(key);
      if (!known || outcome.version >= known.record.version) latest.set(key, { record: outcome, message });
    });
    for (const [key, write] of latest) {
      const live = write.record.onlyInto === undefined ? undefined : latest.get(write.record.id);
      if (live && live.record.version >= write.record.version) latest.delete(key);
    }

    let pending = [...latest.values()];
    // A batch of nothing but unreadable messages has nothing to write (an empty bulk is refused).
    if (pending.length > 0) await retryUntilDone(
      async () => {
        const retries = await whileWaiting(this.write(pending, letters, batch.partition));
        if (retries.size === 0) return { done: undefined };
        pending = [...retries.keys()];
        return { retry: [...retries.values()] };
      },
      {
        backoff: ELASTICSEARCH_BACKOFF,
        beforeWait: (reasons, attempt, delay) => {
          for (const [reason, count] of countEach(reasons)) events.emit('sink.retry', { reason, count });
          logger.warn({ partition: batch.partition, documents: reasons.length, attempt, delayMs: Math.round(delay) }, 'Elasticsearch busy or unreachable; backing off');
        },
        afterWait: async () => {
          await heartbeat();
          // On shutdown or rebalance, stop without committing: the batch is read again later.
          if (!isRunning() || isStale()) throw new Error('sink stopping with writes pending; the batch will be redelivered');
        },
        ...(this.deps.sleep ? { sleep: this.deps.sleep } : {}),
      },
    );

    await whileWaiting(deadLetters.send(letters));
    if (letters.length > 0) events.emit('dead_letters', { stage: 'sink', kind: 'document', count: letters.length });
    await commitBatch(payload, events, topology.sinkGroup);
  }

  /** One bulk request; returns the writes to retry, with why. Permanent failures become dead letters. */
  private async write(writes: PendingWrite[], letters: DeadLetter[], partition: number): Promise<Retries> {
    const span = tracer.startSpan('fedsearch.bulk_write', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'elasticsearch', 'db.operation.name': 'bulk', 'fedsearch.documents': writes.length } });
    return inSpan(span, async () => {
      const retries = await this.writeOnce(writes, letters, partition);
      span.setAttribute('fedsearch.documents.retried', retries.size);
      return retries;
    });
  }

  private async writeOnce(writes: PendingWrite[], letters: DeadLetter[], partition: number): Promise<Retries> {
    const { elasticsearch, topology, events, logger } = this.deps;
    const extra = this.deps.extraTargets?.() ?? [];
    const targets = [topology.alias, ...extra];
    // A document decoded by a worker comes as its JSON, which the client's serializer sends as it is.
    const operations: Array<estypes.BulkOperationContainer | Record<string, unknown> | string> = [];
    const slots: Array<{ write: PendingWrite; target: string }> = [];
    for (const write of writes) {
      // A reindex's document goes to the version being built alone. Once that version is no
      // longer an extra target (swapped in, or the reindex abandoned), it is an ordinary document.
      const onlyInto = write.record.onlyInto;
      for (const target of onlyInto !== undefined && extra.includes(onlyInto) ? [onlyInto] : targets) {
        // To the alias, never into an index of that name: with the index deleted under the
        // pipeline, Elasticsearch would create one with guessed mappings and no alias (the writes
        // wait instead, below). A reindex's extra target is a concrete index.
        const meta = { _index: target, _id: write.record.id, version: write.record.version, version_type: 'external_gte' as const };
        if (write.record.document === null) operations.push({ delete: meta });
        else operations.push({ index: target === topology.alias ? { ...meta, require_alias: true } : meta }, write.record.document);
        slots.push({ write, target });
      }
    }
    let response: estypes.BulkResponse;
    try {
      // Only what is read below comes back: each item's status, error and concrete index, in
      // request order (a full answer repeats id, version, shards and sequence numbers for each).
      response = await elasticsearch.bulk({ operations, filter_path: BULK_RESPONSE_FIELDS });
    } catch (error) {
      logger.warn({ err: error, documents: writes.length }, 'bulk request failed');
      return new Map(writes.map((write) => [write, elasticsearchRetryReason(null) as RetryReason]));
    }
    const items = response.items ?? [];
    if (items.length !== slots.length) {
      // Not an answer to this request (a proxy in front of Elasticsearch, say): items are matched
      // to writes by position, so none of them can be trusted, and every write is tried again.
      logger.warn({ documents: writes.length, operations: slots.length, items: items.length }, 'bulk answer with a different number of items than operations: every write is tried again');
      return new Map(writes.map((write) => [write, 'elasticsearch_unmatched_answer' as RetryReason]));
    }
    const retry: Retries = new Map();
    // A write refused for good by one target (a reindex writes two) is dead-lettered once, and not
    // also retried for another target's 429: replaying the letter writes it to both again.
    const refused = new Set<PendingWrite>();
    // Counted here and reported once per request, not per item.
    const written: { index: WriteCounts; delete: WriteCounts } = { index: { ok: 0, stale: 0, 'dead-lettered': 0 }, delete: { ok: 0, stale: 0, 'dead-lettered': 0 } };
    const endToEndSeconds: number[] = [];
    const now = Date.now();
    items.forEach((item, position) => {
      const { write, target } = slots[position] as { write: PendingWrite; target: string };
      const operation = write.record.document === null ? 'delete' : 'index';
      const result = item.index ?? item.delete;
      const status = result?.status ?? 500;
      if (status < 300 || (operation === 'delete' && status === 404)) {
        written[operation].ok++;
        if (write.record.eventTsMs !== null) endToEndSeconds.push(Math.max(0, now - write.record.eventTsMs) / 1000);
      } else if (status === 404 && target === topology.alias) {
        // The alias is gone (its index deleted): no write can land until it is provisioned again;
        // the batch waits uncommitted, so nothing is lost.
        if (!refused.has(write)) retry.set(write, 'elasticsearch_index_missing');
      } else if (status === 409) {
        // A newer version is already there: this document is stale, which is exactly the point.
        written[operation].stale++;
      } else if (elasticsearchRetryReason(status) !== null) {
        if (!refused.has(write)) retry.set(write, elasticsearchRetryReason(status) as RetryReason);
      } else if (!refused.has(write)) {
        refused.add(write);
        retry.delete(write);
        const reason = `Elasticsearch refused ${operation} of ${write.record.id} in ${result?._index ?? target}: ${result?.error?.type}: ${result?.error?.reason}`;
        logger.error({ entityId: write.record.id, topic: topology.documentsTopic, partition, offset: write.message.offset }, reason);
        written[operation]['dead-lettered']++;
        letters.push(this.documentLetter(write.message, partition, reason, write.record.id));
      }
    });
    events.emit('sink.written', { ...written, endToEndSeconds });
    return retry;
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

/** How often each value occurs, in order of first occurrence. */
function countEach<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
