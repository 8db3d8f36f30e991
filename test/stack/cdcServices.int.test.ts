import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Consumer } from '../../src/clients/kafkajs.ts';
import { Kafka, logLevel } from '../../src/clients/kafkajs.ts';
import {
  connectorStatus,
  registerConnector,
  teamConnectorConfig,
  type ConnectorStatus,
} from '../../stack/debeziumConnectors.ts';
import { findPostgres } from '../../stack/postgresInstall.ts';
import { isAlive } from '../../stack/processControl.ts';
import { cdcServices, stackDown, stackUp } from '../../stack/stack.ts';
import type { StackStatusJson } from '../../stack/stack.ts';
import { startCdcServices, type CdcServices } from '../../support/cdcServices.ts';

const run = promisify(execFile);
const cli = new URL('../../cli/fedsearch.js', import.meta.url).pathname;

// PostgreSQL and a Connect worker of this test's own, on other ports and with their own cache
// folder (support/cdcServices.ts), so the default ones are untouched; so are the change topics.
// Below the ephemeral port range (32768–60999): a client socket of the suite can hold a port in it.
const PG_PORT = 25442;
const CONNECT_PORT = 18083;
const say = (message: string): void => void process.stderr.write(`[cdc test] ${message}\n`);

const kafka = new Kafka({ clientId: 'fedsearch-cdc-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });
let services: CdcServices;
let connectUrl: string;
let pgUrl: string;
let topicPrefix: string;
let changeTopic: string;
let consumerGroup: string;

const psql = (database: string, sql: string): Promise<string> => services.psql(database, sql);

/** `fedsearch <args>` as a user runs it (NODE_ENV unset), with this test's ports and cache. */
async function fedsearch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { NODE_ENV: _vitestSetsThis, ...environment } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: { ...environment, ...services.env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Polls until `read` gives a value `done` accepts (the test's timeout bounds the wait). */
async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await sleep(250);
  }
}

interface ChangeMessage {
  key: { payload: { id: string } };
  /** null: the tombstone after a delete. */
  value: {
    schema: unknown;
    payload: {
      op: 'r' | 'c' | 'u' | 'd';
      before: { id: string; title: string | null } | null;
      after: { id: string; title: string } | null;
      source: { db: string; table: string; ts_ms: number; snapshot: string };
    };
  } | null;
}

let startedPids: Map<string, number>;
let consumer: Consumer;
const received: ChangeMessage[] = [];

describe('the change-data-capture services: PostgreSQL and Kafka Connect with Debezium', () => {
  beforeAll(async () => {
    services = await startCdcServices({ pgPort: PG_PORT, connectPort: CONNECT_PORT, kafkaBrokers: inject('kafkaBrokers'), say });
    ({ connectUrl, pgUrl, startedPids } = services);
    topicPrefix = `cdctest${services.runId}.movies`;
    changeTopic = `${topicPrefix}.public.movies`;
    consumerGroup = `fedsearch-cdc-test-${services.runId}`;
    // The change topic exists before the first event, so the consumer never waits on metadata.
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: changeTopic, numPartitions: 1 }] });
    await admin.disconnect();
    consumer = kafka.consumer({ groupId: consumerGroup });
    await consumer.connect();
    await consumer.subscribe({ topic: changeTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({
          key: JSON.parse(message.key?.toString() ?? 'null') as ChangeMessage['key'],
          value: message.value === null ? null : (JSON.parse(message.value.toString()) as ChangeMessage['value']),
        });
      },
    });
  }, 600_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await services?.stop([changeTopic, `${topicPrefix.replace('.movies', '.talent')}.public.talent`]);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([consumerGroup]).catch(() => undefined);
    await admin.disconnect();
  }, 120_000);

  it('starts PostgreSQL with logical decoding and the three team databases, and is idempotent', async () => {
    expect([...startedPids.keys()]).toEqual(['postgres', 'kafka-connect']);
    expect(await psql('movies', 'SHOW wal_level')).toBe('logical');
    expect(await psql('postgres', "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname IN ('movies','productions','talent')")).toBe(
      'movies,productions,talent',
    );
    const again = await stackUp(say, cdcServices());
    expect(again.size).toBe(0);
    const plugins = (await (await fetch(`${connectUrl}/connector-plugins`)).json()) as { class: string; version: string }[];
    expect(plugins).toContainEqual(expect.objectContaining({ class: 'io.debezium.connector.postgresql.PostgresConnector', version: '3.6.1.Final' }));
  });

  it("captures a row's insert, update and delete as Debezium change events, with the tombstone", async () => {
    await psql('movies', 'CREATE TABLE movies (id text PRIMARY KEY, title text NOT NULL)');
    await psql('movies', "INSERT INTO movies VALUES ('mov-0000001', 'Already There')");
    const config = teamConnectorConfig({ database: 'movies', topicPrefix });
    expect(await registerConnector(connectUrl, 'cdc-movies', config)).toBe('created');
    expect(await registerConnector(connectUrl, 'cdc-movies', config)).toBe('unchanged');

    // The initial snapshot reads the existing row; changes after it are streamed from the slot.
    const snapshot = await eventually(
      () => received.find((message) => message.value?.payload.op === 'r'),
      (message) => message !== undefined,
    );
    expect(snapshot?.value?.payload.after).toEqual({ id: 'mov-0000001', title: 'Already There' });
    expect(snapshot?.value?.payload.source.snapshot).toBe('last');

    await psql('movies', "INSERT INTO movies VALUES ('mov-0000002', 'First Cut')");
    await psql('movies', "UPDATE movies SET title = 'Final Cut' WHERE id = 'mov-0000002'");
    await psql('movies', "DELETE FROM movies WHERE id = 'mov-0000002'");

    const ofRow = (): ChangeMessage[] => received.filter((message) => message.key.payload.id === 'mov-0000002');
    const events = await eventually(ofRow, (messages) => messages.some((message) => message.value === null));
    expect(events.map((message) => message.value?.payload.op ?? 'tombstone')).toEqual(['c', 'u', 'd', 'tombstone']);
    const [created, updated, deleted] = events.map((message) => message.value?.payload);
    expect(created?.after).toEqual({ id: 'mov-0000002', title: 'First Cut' });
    expect(updated?.after).toEqual({ id: 'mov-0000002', title: 'Final Cut' });
    // With the default replica identity a delete carries the key only, in `before` (Debezium
    // fills the other NOT NULL columns with their type's empty value).
    expect(deleted?.before?.id).toBe('mov-0000002');
    expect(deleted?.after).toBeNull();
    expect(deleted?.source).toEqual(expect.objectContaining({ db: 'movies', table: 'movies', ts_ms: expect.any(Number) }));
    expect(events[0]?.value?.schema).toBeDefined();
  }, 240_000);

  it('stack status --json names each service with its url and state; psql accepts the postgres url with a database', async () => {
    const status = await fedsearch('stack', 'status', '--json');
    const { services } = JSON.parse(status.stdout) as StackStatusJson;
    expect(services.map((service) => service.name)).toEqual(['kafka', 'elasticsearch', 'postgres', 'kafka-connect']);
    const postgres = services.find((service) => service.name === 'postgres');
    expect(postgres).toEqual(expect.objectContaining({ url: pgUrl, state: 'running', problems: [] }));
    const connect = services.find((service) => service.name === 'kafka-connect');
    expect(connect).toEqual(expect.objectContaining({ url: connectUrl, state: 'running', problems: [] }));

    const { stdout } = await run(findPostgres().psql, ['-X', '-A', '-t', `${postgres?.url}/movies`, '-c', 'SELECT current_database()']);
    expect(stdout.trim()).toBe('movies');

    const human = await fedsearch('stack', 'status');
    expect(human.stdout).toMatch(new RegExp(`PostgreSQL \\d+: running \\(pid ${startedPids.get('postgres')}\\) at ${pgUrl}`));
    expect(human.stdout).toMatch(new RegExp(`Kafka Connect 4\\.3\\.0: running \\(pid ${startedPids.get('kafka-connect')}\\) at ${connectUrl}`));
  });

  it("refuses a connector for a database that does not exist, with the connector's reason", async () => {
    await expect(registerConnector(connectUrl, 'cdc-nowhere', teamConnectorConfig({ database: 'nowhere', topicPrefix: 'unused' }))).rejects.toThrow(
      'rejected connector cdc-nowhere\'s config: database.hostname: Error while validating connector config: FATAL: database "nowhere" does not exist',
    );
    const connectors = (await (await fetch(`${connectUrl}/connectors`)).json()) as string[];
    expect(connectors).not.toContain('cdc-nowhere');
  });

  it("reports a connector that cannot start in stack status, with Connect's reason", async () => {
    // Valid as far as Connect's validation goes, but the task cannot start: the publication it
    // must not create does not exist.
    const config = {
      ...teamConnectorConfig({ database: 'talent', topicPrefix: topicPrefix.replace('.movies', '.talent') }),
      'publication.autocreate.mode': 'disabled',
      'publication.name': 'nobody_created_this',
    };
    await registerConnector(connectUrl, 'cdc-talent', config);
    // Connect answers 404 for a connector's status until its worker has written the first one.
    await eventually<ConnectorStatus | undefined>(
      () => connectorStatus(connectUrl, 'cdc-talent').catch(() => undefined),
      (status) => status?.state === 'FAILED',
    );

    const reason = 'org.apache.kafka.connect.errors.ConnectException: Publication autocreation is disabled, please create one and restart the connector.';
    const human = await fedsearch('stack', 'status');
    expect(human.code).toBe(3);
    expect(human.stdout).toContain(`  connector cdc-talent FAILED: ${reason}`);
    const json = JSON.parse((await fedsearch('stack', 'status', '--json')).stdout) as StackStatusJson;
    expect(json.services.find((service) => service.name === 'kafka-connect')?.problems).toEqual([`connector cdc-talent FAILED: ${reason}`]);
  }, 120_000);

  it('stops exactly what it started', async () => {
    await stackDown(say, cdcServices());
    for (const pid of startedPids.values()) expect(isAlive(pid)).toBe(false);
    const json = JSON.parse((await fedsearch('stack', 'status', '--json')).stdout) as StackStatusJson;
    expect(json.services.filter((service) => ['postgres', 'kafka-connect'].includes(service.name)).map((service) => service.state)).toEqual([
      'stopped',
      'stopped',
    ]);
  }, 120_000);
});
