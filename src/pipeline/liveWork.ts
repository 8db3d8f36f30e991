import type { Admin } from '../clients/kafkajs.ts';
import { commitsMade, endOffsets } from './consumerGroupProgress.ts';

/** What an index's live pipeline has not done yet: the work a backfill must not get in front of. */
export interface LiveWork {
  /** Change events on the index's event topics its live enrich group has not finished (0 when no enrich stage runs). */
  changeEvents: number;
  /** Documents on the documents topic its sink group has not written (0 when no sink runs). */
  documents: number;
}

/** The groups and topics of one index's live pipeline. */
export interface LiveGroups {
  enrichGroup: string;
  eventTopics: readonly string[];
  sinkGroup: string;
  documentsTopic: string;
}

type LiveWorkAdmin = Pick<Admin, 'describeGroups' | 'fetchTopicOffsets' | 'fetchOffsets'>;

/**
 * Reads what the index's live pipeline has pending, from Kafka alone (so it works across
 * processes): a group's messages between its commits and the topics' ends. A partition its group
 * never committed counts nothing — a live group starts at the end of a topic, so that partition's
 * history is not its work — and a group with no member counts nothing: no stage runs to do it.
 */
export async function readLiveWork(admin: LiveWorkAdmin, groups: LiveGroups): Promise<LiveWork> {
  const described = (await admin.describeGroups([groups.enrichGroup, groups.sinkGroup])).groups;
  const running = (groupId: string): boolean => (described.find((group) => group.groupId === groupId)?.members.length ?? 0) > 0;
  const [changeEvents, documents] = await Promise.all([
    running(groups.enrichGroup) ? pendingMessages(admin, groups.enrichGroup, groups.eventTopics) : 0,
    running(groups.sinkGroup) ? pendingMessages(admin, groups.sinkGroup, [groups.documentsTopic]) : 0,
  ]);
  return { changeEvents, documents };
}

async function pendingMessages(admin: LiveWorkAdmin, groupId: string, topics: readonly string[]): Promise<number> {
  let pending = 0n;
  await Promise.all(
    topics.map(async (topic) => {
      const [end, committed] = await Promise.all([endOffsets(admin, topic), commitsMade(admin, groupId, topic)]);
      for (const [partition, position] of committed) {
        const high = end.get(partition);
        if (high !== undefined && high > position) pending += high - position;
      }
    }),
  );
  return Number(pending);
}
