import { randomUUID } from 'node:crypto';
import { kafkaClient } from '../clients/kafkaClient.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { pipelineTopology } from '../index/pipelineTopology.ts';
import { committedOffsets, deadLetterTopicEnd } from './consumerGroupProgress.ts';
import { groupLetters, type DatedLetter, type LetterSummary } from './deadLetterSummary.ts';
import { letterWrittenAt, readDeadLetter } from './deadLetters.ts';
import { retryVerdict } from './deadLetterRetry.ts';

/**
 * `fedsearch dlq`: the index's dead-letter topic read to its end now and summarised by subgraph
 * and reason, each letter as waiting (for an automatic retry: the graph's failure, past where the
 * live pipeline's retries got — one per entity, the newest) or permanent (past where `replay`
 * got). Handled letters stay in the topic until its retention; `all` takes every letter it holds
 * (those the retries handled as `retried`). Reads with a throwaway consumer group, deleted
 * afterwards, and never commits for anyone else's.
 */
export async function summarizeDeadLetters(loaded: LoadedIndex, options: { all: boolean }): Promise<LetterSummary> {
  const topic = pipelineTopology(loaded).dlqTopic;
  const kafka = kafkaClient(loaded.config.kafka, '-dlq');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const end = await deadLetterTopicEnd(admin, topic, loaded.config);
    const low = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.low)]));
    const settings = loaded.config.pipeline.retryDeadLetters;
    const replayed = options.all ? new Map<number, bigint>() : await committedOffsets(admin, loaded.names.replayGroup, topic);
    const retried = settings.enabled ? await committedOffsets(admin, loaded.names.recoverGroup, topic) : new Map<number, bigint>();
    const handled = (partition: number): bigint => bigintMin(replayed.get(partition) ?? 0n, settings.enabled ? (retried.get(partition) ?? 0n) : (replayed.get(partition) ?? 0n));
    const from = new Map([...end.keys()].map((partition) => [partition, bigintMax(low.get(partition) ?? 0n, handled(partition))]));
    const replayedBefore = [...from].reduce((sum, [partition, start]) => sum + Number(start - (low.get(partition) ?? 0n)), 0);
    const permanent: DatedLetter[] = [];
    const retriedLetters: DatedLetter[] = [];
    /** One waiting letter per entity, the newest: fetching it once fixes every letter of the entity. */
    const waiting = new Map<string, DatedLetter>();
    const pending = new Set([...end].filter(([partition, high]) => (from.get(partition) ?? 0n) < high).map(([partition]) => partition));
    if (pending.size > 0) {
      const groupId = `fedsearch-dlq-summary-${randomUUID()}`;
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          consumer
            .run({
              eachMessage: async ({ partition, message }) => {
                const offset = BigInt(message.offset);
                const high = end.get(partition) ?? 0n;
                if (offset >= (from.get(partition) ?? 0n) && offset < high) {
                  const at = letterWrittenAt(message.headers) ?? new Date(Number(message.timestamp)).toISOString();
                  const letter = readDeadLetter(message);
                  const verdict = retryVerdict(letter, Date.parse(at), settings);
                  if (verdict.state === 'permanent') {
                    if (offset >= (replayed.get(partition) ?? 0n)) permanent.push({ letter, at, state: 'permanent' });
                  } else if (offset >= (retried.get(partition) ?? 0n)) {
                    waiting.set(letter.entityId as string, { letter, at, state: 'waiting', nextRetryAt: new Date(verdict.dueAtMs).toISOString() });
                  } else if (options.all) retriedLetters.push({ letter, at, state: 'retried' });
                }
                if (offset + 1n >= high) pending.delete(partition);
                if (pending.size === 0) resolve();
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
    }
    const letters = [...waiting.values(), ...permanent, ...retriedLetters];
    return { topic, letters: letters.length, waiting: waiting.size, permanent: permanent.length, replayedBefore, groups: groupLetters(letters) };
  } finally {
    await admin.disconnect();
  }
}

function bigintMin(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function bigintMax(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
