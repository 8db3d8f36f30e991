import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { InfrastructureError } from '../errors.ts';

/** Offsets by partition. */
export type PartitionOffsets = Map<number, bigint>;

/** The admin calls this needs; a kafkajs Admin is one, and a test can pass a fake. */
export type OffsetsAdmin = Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>;

/** Where each partition of `topic` ends now (the offset the next message will get). */
export async function endOffsets(admin: OffsetsAdmin, topic: string): Promise<PartitionOffsets> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
}

/** The next offset `groupId` will read in each partition of `topic` (0 where it has committed nothing). */
export async function committedOffsets(admin: OffsetsAdmin, groupId: string, topic: string): Promise<PartitionOffsets> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset === '-1' ? '0' : p.offset)]));
}

/** Whether a group at `position` has consumed everything up to `end` in every partition. */
export function hasCaughtUp(position: PartitionOffsets, end: PartitionOffsets): boolean {
  return [...end].every(([partition, high]) => (position.get(partition) ?? 0n) >= high);
}

/**
 * Resolves once `groupId` has committed up to the end offsets `topic` had when this was called;
 * rejects after `timeoutMs`.
 */
export async function waitForGroup(
  admin: OffsetsAdmin,
  groupId: string,
  topic: string,
  timeoutMs: number,
  pollMs = 250,
): Promise<void> {
  const end = await endOffsets(admin, topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasCaughtUp(await committedOffsets(admin, groupId, topic), end)) return;
    if (Date.now() > deadline) throw new InfrastructureError(`the sink (${groupId}) did not catch up on ${topic} within ${timeoutMs / 1000}s`);
    await sleep(pollMs);
  }
}
