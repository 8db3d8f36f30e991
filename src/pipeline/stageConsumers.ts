import type { Consumer, ConsumerConfig } from '../clients/kafkajs.ts';
import type { Logger } from '../logger.ts';
import { KAFKA_CONSUMER_RETRIES } from '../retryPolicy.ts';

/** The part of a kafkajs Kafka client this needs; a test passes a fake. */
export interface ConsumerFactory {
  consumer(config: ConsumerConfig): Consumer;
}

/** How long a consumer kafkajs gave up on stays down before it is started again. */
export const CONSUMER_RESTART_DELAY_MS = 5_000;

interface Stage {
  groupId: string;
  run: (consumer: Consumer) => Promise<void>;
  consumer: Consumer;
  restarts: number;
  timer?: NodeJS.Timeout;
  /** A start-again under way (the old consumer disconnecting, the new one connecting): what stop() waits for. */
  restarting?: Promise<void>;
}

/**
 * The pipeline stages' consumers. kafkajs restarts a consumer by itself after retriable errors,
 * but one that failed with an error it counts as not retriable stays stopped while the process
 * lives on — an indexer that indexes nothing and says so only on /healthz. So such a consumer is
 * started again (a new member of the same group, after `restartDelayMs`), from the group's last
 * commit: nothing committed was unfinished, so nothing is lost. While it is down, `crashed`
 * names its group (for /healthz).
 */
export class StageConsumers {
  private readonly stages: Stage[] = [];
  private stopped = false;

  constructor(
    private readonly kafka: ConsumerFactory,
    private readonly logger: Logger,
    private readonly restartDelayMs = CONSUMER_RESTART_DELAY_MS,
  ) {}

  get count(): number {
    return this.stages.length;
  }

  /** Groups whose consumer kafkajs gave up on and that are not running again yet. */
  get crashed(): string[] {
    return this.stages.filter((stage) => stage.timer !== undefined).map((stage) => stage.groupId);
  }

  /** Restarts so far, by group. */
  get restarts(): Record<string, number> {
    return Object.fromEntries(this.stages.map((stage) => [stage.groupId, stage.restarts]));
  }

  /** Connects a consumer of `groupId` and has `run` subscribe it and start its loop. */
  async start(groupId: string, run: (consumer: Consumer) => Promise<void>): Promise<void> {
    const stage: Stage = { groupId, run, consumer: this.newConsumer(groupId), restarts: 0 };
    this.stages.push(stage);
    await this.connectAndRun(stage);
  }

  /**
   * No consumer is started again from now on: the first thing a stop does, so that a stage
   * crash-looping while the rest drains is not started again in the middle of it.
   */
  stopRestarting(): void {
    this.stopped = true;
    for (const stage of this.stages) clearTimeout(stage.timer);
  }

  /** Stops every consumer (a batch in flight finishes first) and any restart still to come. */
  async stop(): Promise<void> {
    this.stopRestarting();
    // A start-again under way finishes first, or the consumer it connects would outlive the stop (and keep the process alive).
    await Promise.all(this.stages.map((stage) => stage.restarting));
    // All at once: kafkajs's disconnect waits for the consumer's fetch in flight, a long poll of up
    // to its maxWaitTimeInMs (5 s) when its topics are idle or paused, so one after another a
    // pipeline's three consumers took up to 15 s to stop (`run`'s Ctrl-C). Each lets its batch in
    // flight finish and commit; the producer, admin and Elasticsearch they write with close after.
    await Promise.all(this.stages.map((stage) => stage.consumer.disconnect()));
  }

  private newConsumer(groupId: string): Consumer {
    return this.kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, retry: { retries: KAFKA_CONSUMER_RETRIES } });
  }

  private async connectAndRun(stage: Stage): Promise<void> {
    const { consumer } = stage;
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.logger.error({ groupId: stage.groupId, err: error, restart }, restart ? 'consumer crashed; kafkajs restarts it' : `consumer crashed; starting it again in ${this.restartDelayMs / 1000}s`);
      if (!restart && consumer === stage.consumer) this.scheduleRestart(stage);
    });
    await consumer.connect();
    await stage.run(consumer);
  }

  private scheduleRestart(stage: Stage): void {
    if (this.stopped || stage.timer) return;
    stage.timer = setTimeout(() => {
      stage.restarting = (async () => {
        await stage.consumer.disconnect().catch(() => undefined);
        if (this.stopped) return;
        stage.consumer = this.newConsumer(stage.groupId);
        stage.restarts++;
        try {
          await this.connectAndRun(stage);
          stage.timer = undefined;
          this.logger.warn({ groupId: stage.groupId, restarts: stage.restarts }, 'consumer started again');
        } catch (error) {
          stage.timer = undefined;
          if (this.stopped) return;
          this.logger.error({ groupId: stage.groupId, err: error }, 'starting the consumer again failed; trying again');
          this.scheduleRestart(stage);
        }
      })().finally(() => (stage.restarting = undefined));
    }, this.restartDelayMs);
  }
}
