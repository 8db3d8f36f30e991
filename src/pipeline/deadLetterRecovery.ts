import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from '../clients/kafkajs.ts';
import type { Logger } from '../logger.ts';
import { commitNext } from './commitBatch.ts';
import { afterFailedRetry, expectsTheEntity, retryVerdict, TokenBucket, type DeadLetterRetrySettings, type RetryVerdict } from './deadLetterRetry.ts';
import { letterWrittenAt, readDeadLetter, requeuedHeaders, type DeadLetter } from './deadLetters.ts';
import type { Enricher, PendingIds } from './enricher.ts';
import type { PipelineEvents } from './pipelineEvents.ts';

export interface DeadLetterRecoveryDeps {
  /** Fetches and produces the documents of the letters due (an enricher of its own: no retries inside, the schedule is the retry). */
  enricher: Pick<Enricher, 'enrich'>;
  /** Sends letters that failed again back to the dead-letter topic. */
  producer: Pick<Producer, 'send'>;
  topic: string;
  settings: DeadLetterRetrySettings;
  /** Letters fetched together at most (pipeline.batchSize). */
  batchSize: number;
  events: PipelineEvents;
  logger: Logger;
}

interface Pending {
  message: KafkaMessage;
  letter: DeadLetter;
  verdict: Extract<RetryVerdict, { state: 'waiting' }>;
}

/** The longest a waiting consumer sleeps between heartbeats and checks that it should go on. */
const WAIT_SLICE_MS = 1_000;

/**
 * Retries dead letters whose cause is on the graph's side, in the live pipeline: a consumer group
 * of its own (`<index>-recover`) reads the dead-letter topic; each letter waiting for a retry
 * (retryVerdict) is fetched again when due, at most `lettersPerSecond` (a token bucket); a letter
 * that fails again goes back to the end of the topic with its attempt count and next due time in
 * its headers. The group commits past a letter only once it is resolved — its document produced
 * (acks from all replicas), sent back to the topic, or permanent (left for `fedsearch replay`) —
 * so a crash at any point loses no letter (one retried twice at worst).
 */
export class DeadLetterRecovery {
  private readonly bucket: TokenBucket;
  /** Letters waiting, by partition:offset — those read and not yet resolved, and those sent back and not yet read again. */
  private readonly waiting = new Map<string, { subgraph: string; firstFailedAtMs: number; dueAtMs: number }>();
  private stopping = false;

  constructor(private readonly deps: DeadLetterRecoveryDeps) {
    this.bucket = new TokenBucket(deps.settings.lettersPerSecond);
  }

  async run(consumer: Consumer): Promise<void> {
    // A new member (a restart, a rebalance) reads from the last commit: what it knew is read again.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.waiting.clear();
      this.report();
    });
    await consumer.subscribe({ topics: [this.deps.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /** The waits end at once; what is not resolved is read again by the next run. */
  stop(): void {
    this.stopping = true;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const { settings } = this.deps;
    const resolved = new Set<string>();
    let pending: Pending[] = [];
    for (const message of batch.messages) {
      const letter = readDeadLetter(message);
      const writtenAtMs = Date.parse(letterWrittenAt(message.headers) ?? '') || Number(message.timestamp);
      const verdict = retryVerdict(letter, writtenAtMs, settings);
      const key = `${batch.partition}:${message.offset}`;
      if (verdict.state === 'permanent') {
        this.waiting.delete(key);
        resolved.add(message.offset);
        continue;
      }
      pending.push({ message, letter, verdict });
      this.waiting.set(key, { subgraph: letter.fault?.subgraph ?? '(none)', firstFailedAtMs: verdict.firstFailedAtMs, dueAtMs: verdict.dueAtMs });
    }
    this.report();
    let committed = batch.firstOffset() ?? batch.lastOffset();
    const commitResolved = async (): Promise<void> => {
      let next = BigInt(committed);
      for (const message of batch.messages) {
        if (BigInt(message.offset) < next) continue;
        if (!resolved.has(message.offset)) break;
        next = BigInt(message.offset) + 1n;
      }
      if (next.toString() === committed) return;
      committed = next.toString();
      payload.resolveOffset((next - 1n).toString());
      await commitNext(payload, committed);
    };
    await commitResolved();

    const goOn = (): boolean => !this.stopping && isRunning() && !isStale();
    while (pending.length > 0 && goOn()) {
      const now = Date.now();
      const due = pending.filter((one) => one.verdict.dueAtMs <= now).slice(0, this.deps.batchSize);
      if (due.length === 0) {
        const nextDue = Math.min(...pending.map((one) => one.verdict.dueAtMs));
        await sleep(Math.min(WAIT_SLICE_MS, nextDue - now));
        await heartbeat();
        continue;
      }
      // The cap: however many came due at once, they are fetched at lettersPerSecond.
      let waitMs = this.bucket.reserve(due.length);
      while (waitMs > 0 && goOn()) {
        await sleep(Math.min(WAIT_SLICE_MS, waitMs));
        waitMs -= WAIT_SLICE_MS;
        await heartbeat();
      }
      if (!goOn()) return;
      await this.retry(due, batch.partition, heartbeat);
      for (const one of due) {
        resolved.add(one.message.offset);
        this.waiting.delete(`${batch.partition}:${one.message.offset}`);
      }
      pending = pending.filter((one) => !resolved.has(one.message.offset));
      this.report();
      await commitResolved();
      await heartbeat();
    }
  }

  /** Fetches the letters' entities again; those that fail go back to the topic with their next due time, before anything is committed. */
  private async retry(due: readonly Pending[], partition: number, heartbeat: () => Promise<void>): Promise<void> {
    const { enricher, producer, topic, settings, events, logger } = this.deps;
    const ids: PendingIds = new Map();
    const expected = new Set<string>();
    for (const { letter } of due) {
      ids.set(letter.entityId as string, eventTime(letter));
      if (expectsTheEntity(letter)) expected.add(letter.entityId as string);
    }
    const outcome = await enricher.enrich(ids, heartbeat, expected);
    const failed = new Map(outcome.failed.map((failure) => [failure.id, failure]));
    const now = Date.now();
    const again: Array<{ key: Buffer | null; value: Buffer | null; headers: ReturnType<typeof requeuedHeaders> }> = [];
    const sentBack = new Set<string>();
    let gaveUp = 0;
    for (const { message, letter, verdict } of due) {
      const id = letter.entityId as string;
      const failure = failed.get(id);
      // One letter back per entity: a second copy would only be fetched twice.
      if (failure === undefined || sentBack.has(id)) continue;
      sentBack.add(id);
      const retry = afterFailedRetry(verdict, now, settings);
      if (retry.gaveUp) gaveUp++;
      again.push({ key: message.key, value: message.value, headers: requeuedHeaders(message.headers, failure.reason, failure.fault, retry) });
    }
    if (again.length > 0) {
      const written = await producer.send({ topic, acks: -1, messages: again });
      // Waiting until read again (at the end of the topic): counted meanwhile.
      for (const [i, message] of again.entries()) {
        const metadata = written.find((one) => one.partition === partition) ?? written[0];
        if (metadata?.baseOffset === undefined) continue;
        const retry = readDeadLetter({ key: message.key, value: message.value, headers: message.headers });
        const verdict = retryVerdict(retry, now, settings);
        if (verdict.state !== 'waiting') continue;
        const key = `${metadata.partition}:${(BigInt(metadata.baseOffset) + BigInt(i)).toString()}`;
        this.waiting.set(key, { subgraph: retry.fault?.subgraph ?? '(none)', firstFailedAtMs: verdict.firstFailedAtMs, dueAtMs: verdict.dueAtMs });
      }
    }
    const recovered = due.filter(({ letter }) => !failed.has(letter.entityId as string)).length;
    if (recovered > 0) events.emit('dead_letters.retried', { outcome: 'recovered', count: recovered });
    if (again.length - gaveUp > 0) events.emit('dead_letters.retried', { outcome: 'failed_again', count: again.length - gaveUp });
    if (gaveUp > 0) {
      events.emit('dead_letters.retried', { outcome: 'gave_up', count: gaveUp });
      logger.warn({ letters: gaveUp }, `dead letters still failing after ${settings.giveUpAfterHours} h of automatic retries, left for \`fedsearch replay\``);
    }
    logger.info({ retried: due.length, recovered, failedAgain: again.length - gaveUp }, 'dead letters retried');
  }

  /** The letters waiting by subgraph and the oldest one's first failure, for the metrics. */
  private report(): void {
    const bySubgraph = new Map<string, number>();
    let oldest: number | null = null;
    for (const { subgraph, firstFailedAtMs } of this.waiting.values()) {
      bySubgraph.set(subgraph, (bySubgraph.get(subgraph) ?? 0) + 1);
      if (oldest === null || firstFailedAtMs < oldest) oldest = firstFailedAtMs;
    }
    this.deps.events.emit('dead_letters.waiting', { bySubgraph, oldestFirstFailedAtMs: oldest });
  }
}

/** The source event time a refetch letter kept (so end-to-end latency counts from the change itself). */
function eventTime(letter: DeadLetter): number | null {
  try {
    const value = JSON.parse(String(letter.value ?? '')) as { tsMs?: unknown };
    return typeof value.tsMs === 'number' && Number.isFinite(value.tsMs) ? value.tsMs : null;
  } catch {
    return null;
  }
}
