import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from '../clients/kafkajs.ts';
import { InfrastructureError, UserError } from '../errors.ts';

/** Offsets by partition. */
export type PartitionOffsets = Map<number, bigint>;

/** The admin calls this needs; a kafkajs Admin is one, and a test can pass a fake. */
export type OffsetsAdmin = Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>;

/** Where each partition of `topic` ends now (the offset the next message will get). */
export async function endOffsets(admin: OffsetsAdmin, topic: string): Promise<PartitionOffsets> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
}

/**
 * The dead-letter topic's end offsets for a command that reads it (`dlq`, `replay`): a topic the
 * broker does not know means the index was never provisioned on this Kafka cluster, which the user
 * fixes — not kafkajs's "This server does not host this topic-partition" as a failing service.
 */
export async function deadLetterTopicEnd(admin: OffsetsAdmin & Pick<Admin, 'listTopics'>, topic: string, config: { index: string; sourceFile: string }): Promise<PartitionOffsets> {
  // Asked first: kafkajs retries a metadata request for a topic it does not know for ~20 s.
  if (!(await admin.listTopics()).includes(topic)) {
    throw new UserError(`the dead-letter topic ${topic} does not exist: ${config.index} is not provisioned on this Kafka cluster yet (\`fedsearch provision ${config.sourceFile}\` creates it)`);
  }
  return endOffsets(admin, topic);
}

/** The next offset `groupId` will read in each partition of `topic` (0 where it has committed nothing). */
export async function committedOffsets(admin: OffsetsAdmin, groupId: string, topic: string): Promise<PartitionOffsets> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset === '-1' ? '0' : p.offset)]));
}

/** The next offset `groupId` will read in each partition of `topic` it has committed in (the others are left out). */
export async function commitsMade(admin: OffsetsAdmin, groupId: string, topic: string): Promise<PartitionOffsets> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((committed?.partitions ?? []).flatMap((p) => (p.offset === '-1' ? [] : [[p.partition, BigInt(p.offset)] as const])));
}

/** Whether a group at `position` has consumed everything up to `end` in every partition. */
export function hasCaughtUp(position: PartitionOffsets, end: PartitionOffsets): boolean {
  return [...end].every(([partition, high]) => (position.get(partition) ?? 0n) >= high);
}

interface GroupWaiter {
  /** The topic's end offsets read after this waiter asked (none yet: the next poll reads them). */
  end: PartitionOffsets | null;
  timeoutMs: number;
  deadline: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * "Has `groupId` committed everything `topic` held when I asked?" for any number of askers at once:
 * one poll every `pollMs` (the topic's end offsets, then the group's commits) serves them all, so
 * dozens of batches waiting for the sink cost the group coordinator two requests a poll, not two
 * each. A waiter is measured against the first end offsets read after it asked.
 */
export class GroupCatchUp {
  private waiters: GroupWaiter[] = [];
  private polling: Promise<void> | null = null;

  constructor(
    private readonly admin: () => Promise<OffsetsAdmin>,
    private readonly groupId: string,
    private readonly topic: string,
    private readonly pollMs = 250,
  ) {}

  /** Resolves once the group has caught up with what the topic held now; rejects after `timeoutMs`. */
  caughtUp(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ end: null, timeoutMs, deadline: Date.now() + timeoutMs, resolve, reject });
      this.start();
    });
  }

  private start(): void {
    if (this.polling) return;
    this.polling = (async () => {
      try {
        // The loop ends and `polling` is cleared with no await in between: no waiter is stranded.
        while (this.waiters.length > 0) {
          await this.pollOnce();
          if (this.waiters.length > 0) await sleep(this.pollMs);
        }
      } finally {
        this.polling = null;
      }
    })();
  }

  private async pollOnce(): Promise<void> {
    let position: PartitionOffsets | null = null;
    let failure: unknown = null;
    try {
      const admin = await this.admin();
      const asked = this.waiters.filter((waiter) => waiter.end === null);
      const end = await endOffsets(admin, this.topic);
      for (const waiter of asked) waiter.end = end;
      position = await committedOffsets(admin, this.groupId, this.topic);
    } catch (error) {
      // Tried again next poll; a waiter whose time runs out meanwhile is told why.
      failure = error;
    }
    const now = Date.now();
    this.waiters = this.waiters.filter((waiter) => {
      if (position && waiter.end && hasCaughtUp(position, waiter.end)) {
        waiter.resolve();
        return false;
      }
      if (now <= waiter.deadline) return true;
      const why = failure ? ` (last poll: ${(failure as Error).message})` : '';
      waiter.reject(new InfrastructureError(`the sink (${this.groupId}) did not catch up on ${this.topic} within ${waiter.timeoutMs / 1000}s${why}`));
      return false;
    });
  }
}
