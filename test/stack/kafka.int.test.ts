import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from '../../src/clients/kafkajs.ts';
import { describe, expect, inject, it } from 'vitest';
import { findJava } from '../../stack/java.ts';
import { kafkaService, storageFormatArgs } from '../../stack/kafkaService.ts';
import { mavenClasspath } from '../../stack/mavenLauncher.ts';

describe('local Kafka', () => {
  it('takes a message from a producer and hands it to a consumer group', async () => {
    const kafka = new Kafka({ clientId: 'stack-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.ERROR });
    const topic = `test.stack.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'movie-1', value: '{"hello":"kafka"}' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `stack-test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; value: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) =>
          resolve({ key: String(message.key), value: String(message.value) }),
      });
    });
    await consumer.disconnect();
    expect(received).toEqual({ key: 'movie-1', value: '{"hello":"kafka"}' });
  });

  // Regression: a random base64url cluster id begins with '-' one time in 64, and CI once failed
  // with "argument --cluster-id/-t: expected one argument".
  it('formats KRaft storage even when the random cluster id begins with a dash', () => {
    const service = kafkaService();
    const java = findJava(service.minJava, service.title);
    const classpath = mavenClasspath({ name: service.name, dir: service.mavenProjectDir, javaHome: java.home }, () => {});
    const dir = mkdtempSync(join(tmpdir(), 'fedsearch-kraft-'));
    const properties = join(dir, 'server.properties');
    writeFileSync(
      properties,
      [
        'process.roles=broker,controller',
        'node.id=1',
        'controller.quorum.voters=1@127.0.0.1:1',
        'listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:1',
        'controller.listener.names=CONTROLLER',
        `log.dirs=${join(dir, 'data')}`,
      ].join('\n'),
    );
    const clusterId = '-AbCdEfGhIjKlMnOpQrStw';
    const result = spawnSync(java.java, ['-cp', classpath.join(':'), 'kafka.tools.StorageTool', ...storageFormatArgs(clusterId, properties)], {
      encoding: 'utf8',
    });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(readFileSync(join(dir, 'data', 'meta.properties'), 'utf8')).toContain(`cluster.id=${clusterId}`);
  });
});
