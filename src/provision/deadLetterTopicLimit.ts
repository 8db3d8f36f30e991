import type { Admin } from '../clients/kafkajs.ts';
import { ConfigResourceTypes, ConfigSource } from '../clients/kafkajs.ts';

/**
 * Room a dead letter needs beyond the message it carries: its fedsearch-dlq-* headers (a reason of
 * up to 4,000 characters, where the message was read, an entity id) and record framing.
 */
export const DEAD_LETTER_HEADROOM_BYTES = 64 * 1024;

const MAX_MESSAGE_BYTES = 'max.message.bytes';
/** Kafka's own default of message.max.bytes, for a broker that does not say. */
const KAFKA_DEFAULT_MESSAGE_BYTES = 1_048_588;

/**
 * The max.message.bytes the dead-letter topic needs so that a letter — any message read from
 * `inputs` (the source topics and the documents topic) plus the letter's headers — fits it: the
 * largest that any of them accepts (the broker's default for one that does not exist yet) plus
 * DEAD_LETTER_HEADROOM_BYTES. The broker's default alone (what a topic gets without this) is a
 * letter short: a source message just under it no longer fits once headers are added.
 */
export async function deadLetterTopicLimit(admin: Admin, inputs: readonly string[], existing: ReadonlySet<string>): Promise<number> {
  const limits = await topicMessageLimits(admin, inputs.filter((topic) => existing.has(topic)));
  if (inputs.some((topic) => !existing.has(topic))) limits.push(await brokerMessageLimit(admin));
  return Math.max(...limits) + DEAD_LETTER_HEADROOM_BYTES;
}

/** The max.message.bytes each topic has (its own, or the broker's it inherits). */
export async function topicMessageLimits(admin: Admin, topics: readonly string[]): Promise<number[]> {
  if (topics.length === 0) return [];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: [MAX_MESSAGE_BYTES] })),
  });
  return described.resources.map((resource) => bytesOf(resource.configEntries.find((entry) => entry.configName === MAX_MESSAGE_BYTES)?.configValue));
}

/**
 * Raises the topic's max.message.bytes to `bytes`. Kafka's AlterConfigs (the one kafkajs has)
 * replaces every setting of the topic, so the ones set on it (retention, say) are sent again as
 * they are.
 */
export async function setTopicMessageLimit(admin: Admin, topic: string, bytes: number): Promise<void> {
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  const setOnTopic = (described.resources[0]?.configEntries ?? []).filter(
    (entry) => entry.configSource === ConfigSource.TOPIC_CONFIG && entry.configName !== MAX_MESSAGE_BYTES && !entry.isSensitive,
  );
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configEntries: [...setOnTopic.map((entry) => ({ name: entry.configName, value: entry.configValue })), { name: MAX_MESSAGE_BYTES, value: String(bytes) }],
      },
    ],
  });
}

/** The largest message.max.bytes of the cluster's brokers: what a new topic accepts. */
async function brokerMessageLimit(admin: Admin): Promise<number> {
  const { brokers } = await admin.describeCluster();
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: brokers.map((broker) => ({ type: ConfigResourceTypes.BROKER, name: String(broker.nodeId), configNames: ['message.max.bytes'] })),
  });
  return Math.max(...described.resources.map((resource) => bytesOf(resource.configEntries[0]?.configValue)));
}

function bytesOf(configValue: string | undefined): number {
  const bytes = Number(configValue);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : KAFKA_DEFAULT_MESSAGE_BYTES;
}
