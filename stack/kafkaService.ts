import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from '../src/clients/kafkajs.ts';
import type { LocalService } from './localService.ts';
import { StackError } from './stackError.ts';

export const KAFKA_VERSION = '3.9.2';

const DEFAULT_KAFKA_PORT = 9092;

export function kafkaPort(): number {
  return Number(process.env.FEDSEARCH_KAFKA_PORT ?? DEFAULT_KAFKA_PORT);
}

export function kafkaBrokers(): string[] {
  return [`127.0.0.1:${kafkaPort()}`];
}

/** Apache Kafka in KRaft mode (one node is broker and controller), on loopback only. */
export function kafkaService(): LocalService {
  const port = kafkaPort();
  const controllerPort = port + 1;
  return {
    name: 'kafka',
    stateName: port === DEFAULT_KAFKA_PORT ? 'kafka' : `kafka-${port}`,
    title: `Apache Kafka ${KAFKA_VERSION}`,
    endpoint: `127.0.0.1:${port}`,
    ports: [port, controllerPort],
    minJava: 17,
    mavenProjectDir: fileURLToPath(new URL('./kafka/', import.meta.url)),
    mainClass: 'kafka.Kafka',
    jvmArgs: (paths) => [
      '-Xms512m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(paths.dir, 'log4j.properties')}`,
    ],
    args: (paths) => [join(paths.dir, 'server.properties')],
    async prepare(paths, runJava) {
      writeFileSync(join(paths.dir, 'server.properties'), serverProperties(paths.dataDir, port, controllerPort));
      writeFileSync(join(paths.dir, 'log4j.properties'), LOG4J_PROPERTIES);
      if (existsSync(join(paths.dataDir, 'meta.properties'))) return;
      // KRaft storage is formatted once with a cluster id; later starts reuse the data.
      const clusterId = randomBytes(16).toString('base64url');
      const result = runJava('kafka.tools.StorageTool', storageFormatArgs(clusterId, join(paths.dir, 'server.properties')));
      if (result.status !== 0) throw new StackError(`formatting Kafka storage failed:\n${result.output}`);
    },
    isReady: () => kafkaAnswers(port),
    startTimeoutMs: 90_000,
  };
}

/**
 * Arguments for `kafka-storage format`. The id goes in `--cluster-id=<id>` form because a
 * base64url id starts with '-' one time in 64, and argparse would then read it as an option.
 */
export function storageFormatArgs(clusterId: string, propertiesFile: string): string[] {
  return ['format', `--cluster-id=${clusterId}`, '--config', propertiesFile];
}

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    // One local node: no reason to delay the first consumer-group rebalance.
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

const LOG4J_PROPERTIES = [
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.request.logger=WARN',
  'log4j.logger.state.change.logger=WARN',
  '',
].join('\n');

/** Ready means what the issue asks: a kafkajs admin can list topics. */
async function kafkaAnswers(port: number): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'fedsearch-stack-probe',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
