import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig } from '../clients/kafkajs.ts';

/** How long a created topic may take to have a leader for every partition in the broker's metadata. */
export const TOPIC_LEADERS_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

/**
 * Creates a topic and waits until the broker's metadata names a leader for each of its
 * partitions. kafkajs's own `waitForLeaders` waits out LEADER_NOT_AVAILABLE only: when the broker
 * that answers has not yet applied the new topic to its metadata (KRaft applies the controller's
 * records asynchronously; seconds behind while it is busy, e.g. deleting hundreds of topics), the
 * metadata request answers UNKNOWN_TOPIC_OR_PARTITION and kafkajs throws it ("This server does not
 * host this topic-partition"), failing a provisioning whose topic was in fact created. Here both
 * are waited out, as is a partition still without a leader (-1), up to `timeoutMs`. An existing
 * topic is no error (false is returned, as kafkajs does); it is waited for all the same.
 */
export async function createTopicWithLeaders(admin: Admin, topic: ITopicConfig, timeoutMs = TOPIC_LEADERS_TIMEOUT_MS): Promise<boolean> {
  const created = await admin.createTopics({ waitForLeaders: false, topics: [topic] });
  await waitForTopicLeaders(admin, [topic.topic], timeoutMs);
  return created;
}

/** Waits until every partition of each topic has a leader in the broker's metadata; throws after `timeoutMs` with the last reason. */
export async function waitForTopicLeaders(admin: Admin, topics: readonly string[], timeoutMs = TOPIC_LEADERS_TIMEOUT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let reason: string;
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      const leaderless = metadata.topics.filter((one) => one.partitions.length === 0 || one.partitions.some((partition) => partition.leader < 0));
      if (leaderless.length === 0 && metadata.topics.length === topics.length) return;
      reason = `no leader yet for ${leaderless.map((one) => one.name).join(', ') || 'some of the topics'}`;
    } catch (error) {
      if (!isNotYetKnown(error)) throw error;
      reason = (error as Error).message;
    }
    if (performance.now() + POLL_MS > deadline) throw new Error(`topic ${topics.join(', ')} had no leader for every partition after ${Math.round(timeoutMs / 1000)} s: ${reason}`);
    await sleep(POLL_MS);
  }
}

/** The broker does not know the topic, or its leader, yet: what a topic just created answers for a moment. */
function isNotYetKnown(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE';
}
