import type { Kafka } from '../src/clients/kafkajs.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once `groupId` is Stable with `members` members. A throughput clock started before
 * the consumers have joined would also time the group's rebalance (several seconds), which is
 * start-up cost, not indexing.
 */
export async function waitForStableGroup(kafka: Kafka, groupId: string, members: number, timeoutMs = 120_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.describeGroups([groupId]);
      if (groups[0]?.state === 'Stable' && groups[0].members.length === members) return;
      if (Date.now() > deadline) throw new Error(`${groupId} did not reach ${members} stable member(s) within ${timeoutMs / 1000}s`);
      await sleep(250);
    }
  } finally {
    await admin.disconnect();
  }
}
