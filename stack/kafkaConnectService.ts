import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectorProblems, POSTGRES_CONNECTOR_CLASS } from './debeziumConnectors.ts';
import { findJava } from './java.ts';
import { kafkaBrokers } from './kafkaService.ts';
import type { LocalService } from './localService.ts';
import { mavenUnpacked } from './mavenLauncher.ts';
import { jvmStackService, type StackService } from './stackService.ts';

export const KAFKA_CONNECT_VERSION = '4.3.0';

const DEFAULT_CONNECT_PORT = 8083;

export function kafkaConnectPort(): number {
  return Number(process.env.FEDSEARCH_CONNECT_PORT ?? DEFAULT_CONNECT_PORT);
}

export function kafkaConnectUrl(): string {
  return `http://127.0.0.1:${kafkaConnectPort()}`;
}

/**
 * The worker's group id, which also names its three internal topics. A worker on another port
 * gets its own group, so it never joins (or reads the connectors of) the default one in the same
 * Kafka; FEDSEARCH_CONNECT_GROUP overrides it (tests that share a Kafka use a fresh one per run).
 */
export function kafkaConnectGroup(): string {
  const port = kafkaConnectPort();
  return process.env.FEDSEARCH_CONNECT_GROUP ?? (port === DEFAULT_CONNECT_PORT ? 'fedsearch-connect' : `fedsearch-connect-${port}`);
}

/** The worker's config, offset and status topics, in the stack's Kafka. */
export function kafkaConnectTopics(group = kafkaConnectGroup()): { configs: string; offsets: string; status: string } {
  return { configs: `${group}-configs`, offsets: `${group}-offsets`, status: `${group}-status` };
}

const MAVEN_PROJECT_DIR = fileURLToPath(new URL('./kafka-connect/', import.meta.url));

/**
 * A Kafka Connect worker in distributed mode (org.apache.kafka:connect-runtime from Maven Central),
 * its REST API on loopback, its state in the stack's Kafka, and Debezium's PostgreSQL connector in
 * its plugin.path (Debezium's own plugin archive from Maven Central, unpacked once).
 */
export function kafkaConnectLocalService(): LocalService {
  const port = kafkaConnectPort();
  const url = kafkaConnectUrl();
  const title = `Kafka Connect ${KAFKA_CONNECT_VERSION}`;
  return {
    name: 'kafka-connect',
    stateName: port === DEFAULT_CONNECT_PORT ? 'kafka-connect' : `kafka-connect-${port}`,
    title,
    endpoint: url,
    ports: [port],
    minJava: 17,
    mavenProjectDir: MAVEN_PROJECT_DIR,
    mainClass: 'org.apache.kafka.connect.cli.ConnectDistributed',
    jvmArgs: (paths) => [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(paths.dir, 'connect-log4j2.properties')}`,
    ],
    args: (paths) => [join(paths.dir, 'connect-distributed.properties')],
    async prepare(paths, _runJava, report) {
      const javaHome = findJava(17, title).home;
      const pluginPath = mavenUnpacked({ name: 'kafka-connect', dir: MAVEN_PROJECT_DIR, javaHome }, 'debezium-plugin', report);
      writeFileSync(join(paths.dir, 'connect-distributed.properties'), workerProperties(port, pluginPath));
      writeFileSync(join(paths.dir, 'connect-log4j2.properties'), LOG4J2_PROPERTIES);
    },
    isReady: () => connectAnswers(url),
    // A first start scans the plugins and creates the internal topics: slow on a busy 2-core machine.
    startTimeoutMs: 180_000,
  };
}

/** The worker as `fedsearch stack` drives it: `stack status` also reports its failed connectors. */
export function kafkaConnectService(): StackService {
  const url = kafkaConnectUrl();
  return jvmStackService(kafkaConnectLocalService(), { problems: () => connectorProblems(url) });
}

function workerProperties(port: number, pluginPath: string): string {
  const group = kafkaConnectGroup();
  const topics = kafkaConnectTopics(group);
  return [
    `bootstrap.servers=${kafkaBrokers().join(',')}`,
    `group.id=${group}`,
    `config.storage.topic=${topics.configs}`,
    `offset.storage.topic=${topics.offsets}`,
    `status.storage.topic=${topics.status}`,
    // One local broker.
    'config.storage.replication.factor=1',
    'offset.storage.replication.factor=1',
    'status.storage.replication.factor=1',
    'offset.storage.partitions=5',
    'status.storage.partitions=1',
    // Connectors that set no converter of their own get the JSON converter with schemas (Connect's default).
    'key.converter=org.apache.kafka.connect.json.JsonConverter',
    'value.converter=org.apache.kafka.connect.json.JsonConverter',
    // Source offsets are committed every 5 s (Connect's default is 60 s): less to replay after a crash.
    'offset.flush.interval.ms=5000',
    `listeners=http://127.0.0.1:${port}`,
    'rest.advertised.host.name=127.0.0.1',
    `rest.advertised.port=${port}`,
    `plugin.path=${pluginPath}`,
    // Debezium and Connect's own plugins declare themselves in META-INF/services: no class-path scan.
    'plugin.discovery=service_load',
    '',
  ].join('\n');
}

const LOG4J2_PROPERTIES = [
  'status = warn',
  'appender.stdout.type = Console',
  'appender.stdout.name = STDOUT',
  'appender.stdout.layout.type = PatternLayout',
  'appender.stdout.layout.pattern = [%d] %p %m (%c)%n%throwable',
  'rootLogger.level = INFO',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  // Every client's full config at INFO would bury what matters.
  'logger.config.name = org.apache.kafka.common.config.AbstractConfig',
  'logger.config.level = WARN',
  '',
].join('\n');

/** Ready: the REST root answers, Debezium's PostgreSQL connector is loaded, and the worker has joined its group. */
async function connectAnswers(url: string): Promise<boolean> {
  try {
    const get = (path: string) => fetch(`${url}${path}`, { signal: AbortSignal.timeout(3_000) });
    if (!(await get('/')).ok) return false;
    const plugins = await get('/connector-plugins');
    if (!plugins.ok) return false;
    const classes = ((await plugins.json()) as { class: string }[]).map((plugin) => plugin.class);
    if (!classes.includes(POSTGRES_CONNECTOR_CLASS)) return false;
    // 409 while the worker is still joining its group (it could not take a connector yet).
    return (await get('/connectors')).ok;
  } catch {
    return false;
  }
}
