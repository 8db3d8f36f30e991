import type { Consumer, ConsumerConfig, ConsumerCrashEvent } from '../../src/clients/kafkajs.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { StageConsumers } from '../../src/pipeline/stageConsumers.ts';
import { silentLogger } from './stageFakes.ts';

interface FakeMember {
  groupId: string;
  running: boolean;
  connected: boolean;
  disconnected: boolean;
  crash(restart: boolean): void;
}

/**
 * A Kafka client whose consumers record their life and can be made to crash the way kafkajs
 * reports it; `connecting` can hold a member's connect back.
 */
function fakeKafka(connecting: (member: number) => Promise<void> | void = () => undefined, disconnecting: (member: number) => Promise<void> | void = () => undefined) {
  const members: FakeMember[] = [];
  return {
    members,
    consumer(config: ConsumerConfig): Consumer {
      let onCrash: ((event: ConsumerCrashEvent) => void) | undefined;
      const member: FakeMember = {
        groupId: config.groupId,
        running: false,
        connected: false,
        disconnected: false,
        crash: (restart) => {
          if (!restart) member.running = false;
          onCrash?.({ id: '0', type: 'consumer.crash', timestamp: Date.now(), payload: { error: new Error('The coordinator is not aware of this member'), groupId: config.groupId, restart } });
        },
      };
      members.push(member);
      return {
        events: { CRASH: 'consumer.crash' },
        on: (_event: string, handler: (event: ConsumerCrashEvent) => void) => {
          onCrash = handler;
          return () => undefined;
        },
        connect: async () => {
          await connecting(members.indexOf(member));
          member.connected = true;
        },
        disconnect: async () => {
          await disconnecting(members.indexOf(member));
          member.connected = false;
          member.disconnected = true;
        },
      } as unknown as Consumer; // Only what StageConsumers calls.
    },
  };
}

const runs = (kafka: ReturnType<typeof fakeKafka>) => async (consumer: Consumer) => {
  const member = kafka.members.at(-1);
  if (member) member.running = true;
  void consumer;
};

describe('StageConsumers', () => {
  it('starts a consumer kafkajs gave up on again, as a new member of the same group, and reports it crashed only meanwhile', async () => {
    const kafka = fakeKafka();
    const consumers = new StageConsumers(kafka, silentLogger, 30);
    await consumers.start('films-enrich', runs(kafka));
    await consumers.start('films-sink', runs(kafka));
    kafka.members[1]?.crash(false);
    expect(consumers.crashed).toEqual(['films-sink']);
    await sleep(80);
    expect(kafka.members).toHaveLength(3);
    expect(kafka.members[2]).toMatchObject({ groupId: 'films-sink', running: true });
    expect(kafka.members[1]?.disconnected).toBe(true);
    expect(consumers.crashed).toEqual([]);
    expect(consumers.restarts).toEqual({ 'films-enrich': 0, 'films-sink': 1 });
    await consumers.stop();
  });

  it('leaves a crash kafkajs restarts by itself to kafkajs', async () => {
    const kafka = fakeKafka();
    const consumers = new StageConsumers(kafka, silentLogger, 10);
    await consumers.start('films-sink', runs(kafka));
    kafka.members[0]?.crash(true);
    await sleep(40);
    expect(kafka.members).toHaveLength(1);
    expect(consumers.crashed).toEqual([]);
    await consumers.stop();
  });

  it('disconnects every consumer at once: each waits out its fetch in flight (a long poll of up to 5 s), so one after another added up', async () => {
    const begun: number[] = [];
    let release = (): void => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const kafka = fakeKafka(undefined, async (member) => {
      begun.push(member);
      await held;
    });
    const consumers = new StageConsumers(kafka, silentLogger, 20);
    for (const group of ['films-enrich', 'films-recover', 'films-sink']) await consumers.start(group, runs(kafka));
    const stopped = consumers.stop();
    await sleep(10);
    expect(begun.sort()).toEqual([0, 1, 2]);
    release();
    await stopped;
    expect(kafka.members.every((member) => member.disconnected)).toBe(true);
  });

  it('starts nothing again once stopped', async () => {
    const kafka = fakeKafka();
    const consumers = new StageConsumers(kafka, silentLogger, 20);
    await consumers.start('films-sink', runs(kafka));
    kafka.members[0]?.crash(false);
    await consumers.stop();
    await sleep(60);
    expect(kafka.members).toHaveLength(1);
    expect(kafka.members[0]?.disconnected).toBe(true);
  });

  it('lets a start-again under way finish before stopping, so no consumer stays connected after the stop', async () => {
    let connectingAgain!: () => void;
    const secondMemberConnecting = new Promise<void>((resolve) => (connectingAgain = resolve));
    let letConnect!: () => void;
    const connectAllowed = new Promise<void>((resolve) => (letConnect = resolve));
    const kafka = fakeKafka((member) => {
      if (member === 0) return undefined;
      connectingAgain();
      return connectAllowed;
    });
    const consumers = new StageConsumers(kafka, silentLogger, 1);
    await consumers.start('films-enrich', runs(kafka));
    kafka.members[0]?.crash(false);
    await secondMemberConnecting;
    const stopped = consumers.stop();
    letConnect();
    await stopped;
    expect(kafka.members.map((member) => member.connected)).toEqual([false, false]);
    expect(kafka.members[1]?.disconnected).toBe(true);
  });
});
