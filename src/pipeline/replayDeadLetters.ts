import type { LoadedIndex } from '../index/loadIndex.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import { faultHeaders, readDeadLetter, REASON_HEADER } from './deadLetters.ts';
import { pipelineTopology } from '../index/pipelineTopology.ts';
import { startEnricher } from './enricherResources.ts';
import { replayAction } from './replayAction.ts';
import { committedOffsets, deadLetterTopicEnd, hasCaughtUp } from './consumerGroupProgress.ts';
import { commitNext } from './commitBatch.ts';
import type { Attribution } from './subgraphAttribution.ts';

export interface ReplayReport {
  read: number;
  /** Entities fetched again and written to the documents topic. */
  refetched: number;
  /**
   * Letters that failed again and are back in the dead-letter topic: fetches that failed, events
   * that still cannot be read, events naming a topic that is not this index's.
   */
  failedAgain: number;
  /** Events and documents put back on their topic for the pipeline to handle again. */
  reinjected: number;
}

/**
 * Re-handles what is in the dead-letter topic once its cause is fixed: failed fetches are fetched
 * again (failures go back to the DLQ), unreadable events and refused documents are put back on
 * the topic they came from. A consumer group of its own remembers how far replay got, so a
 * letter is replayed once; `since` starts over from a point in time instead.
 */
export async function replayDeadLetters(loaded: LoadedIndex, options: { since?: Date }, report: (line: string) => void): Promise<ReplayReport> {
  const { config } = loaded;
  const topology = pipelineTopology(loaded);
  const groupId = loaded.names.replayGroup;
  const kafka = kafkaClient(config.kafka, '-replay');
  const admin = kafka.admin();
  await admin.connect();
  // Disconnected whatever happens: an open admin connection keeps the command from exiting.
  const { end, position } = await (async () => {
    try {
      const end = await deadLetterTopicEnd(admin, topology.dlqTopic, config);
      if (options.since) {
        const start = await admin.fetchTopicOffsetsByTimestamp(topology.dlqTopic, options.since.getTime());
        await admin.setOffsets({ groupId, topic: topology.dlqTopic, partitions: start.map((p) => ({ partition: p.partition, offset: p.offset })) });
      }
      return { end, position: await committedOffsets(admin, groupId, topology.dlqTopic) };
    } finally {
      await admin.disconnect();
    }
  })();
  const done = (): boolean => hasCaughtUp(position, end);

  const outcome: ReplayReport = { read: 0, refetched: 0, failedAgain: 0, reinjected: 0 };
  if (done()) {
    report(`nothing to replay in ${topology.dlqTopic}`);
    return outcome;
  }
  const { enricher, close: closeEnricher } = await startEnricher(loaded, { component: 'replay', clientIdSuffix: '-replay' });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId });
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [topology.dlqTopic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= (end.get(batch.partition) ?? 0n)) break;
              const letter = readDeadLetter(message);
              outcome.read++;
              const action = replayAction(letter, enricher.routes, topology.documentsTopic);
              const keepDead = (reason: string, fault?: Attribution): Promise<unknown> =>
                producer.send({
                  topic: topology.dlqTopic,
                  acks: -1,
                  messages: [{ key: message.key, value: message.value, headers: { ...message.headers, [REASON_HEADER]: reason, ...(fault ? faultHeaders(fault) : {}) } }],
                });
              if (action.kind === 'refetch') {
                const result = await enricher.enrich(new Map([[action.entityId, null]]), heartbeat);
                const failure = result.failed[0];
                if (failure) {
                  outcome.failedAgain++;
                  await keepDead(failure.reason, failure.fault);
                } else outcome.refetched++;
              } else if (action.kind === 'reinject') {
                await producer.send({ topic: action.topic, acks: -1, messages: [{ key: letter.key, value: letter.value, ...(letter.headers ? { headers: letter.headers } : {}) }] });
                outcome.reinjected++;
              } else {
                outcome.failedAgain++;
                await keepDead(action.reason);
              }
              resolveOffset(message.offset);
              const next = BigInt(message.offset) + 1n;
              position.set(batch.partition, next);
              await commitNext({ batch, commitOffsetsIfNecessary }, next.toString());
              await heartbeat();
            }
            if (done()) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await closeEnricher();
  }
  report(
    `replayed ${outcome.read} dead letter(s) from ${topology.dlqTopic}: ${outcome.refetched} refetched and written, ` +
      `${outcome.failedAgain} failed again (back in the DLQ), ${outcome.reinjected} put back on their topic`,
  );
  return outcome;
}
