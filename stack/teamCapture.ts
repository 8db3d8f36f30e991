import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Kafka, logLevel } from '../src/clients/kafkajs.ts';
import { connectorName, connectorStatus, deleteConnector, forgetConnector, registerTeamConnectors, teamConnectorConfig, teamSource, slotName, type Registration, type TeamSources } from './debeziumConnectors.ts';
import { TEAM_DATABASES } from './postgresService.ts';
import { StackError } from './stackError.ts';

const WAIT_MS = 120_000;

/**
 * Captures the team databases' changes: the change topics created (three partitions each, as the
 * teams' own topics), one Debezium connector per database registered (idempotently) with
 * `snapshot.mode: no_data` — a backfill indexes the rows already there — and each connector
 * running with its replication slot in place, so that no commit after this returns is missed.
 */
export async function captureTeamDatabases(options: {
  connectUrl: string;
  pgUrl: string;
  kafkaBrokers: string[];
  topics: string[];
  /** Connector settings besides the database (each topic prefix is the database's name, or `<namespace>.<database>`). */
  source?: Omit<TeamSources, 'snapshot'>;
}): Promise<Map<string, Registration>> {
  await createMissingTopics(options.kafkaBrokers, options.topics);
  const source: TeamSources = { ...options.source, snapshot: 'no_data' };
  for (const database of TEAM_DATABASES) {
    // Offsets Connect kept for a slot that is gone would make the connector fail at its start.
    if (!(await slotExists(options.pgUrl, database))) await forgetConnector(options.connectUrl, connectorName(database), teamConnectorConfig(teamSource(database, source)));
  }
  const registered = await registerTeamConnectors(options.connectUrl, source);
  const deadline = Date.now() + WAIT_MS;
  for (const database of TEAM_DATABASES) {
    const name = connectorName(database);
    for (;;) {
      const status = await connectorStatus(options.connectUrl, name).catch(() => undefined);
      if (status?.state === 'FAILED') throw new StackError(`Debezium connector ${name} failed to start: ${status.reason ?? 'Connect gave no reason'}`);
      if (status?.state === 'RUNNING' && (await slotActive(options.pgUrl, database))) break;
      if (Date.now() > deadline) {
        throw new StackError(`Debezium connector ${name} is not streaming from database ${database} after ${WAIT_MS / 1000}s (state ${status?.state ?? 'unknown'})`);
      }
      await sleep(500);
    }
  }
  return registered;
}

/**
 * Removes the team connectors and their replication slots: before the databases are emptied and
 * filled again, which would otherwise reach the index as a flood of changes. (Their offsets are
 * reset when they are registered again without a slot.)
 */
export async function forgetTeamCapture(connectUrl: string, pgUrl: string): Promise<void> {
  for (const database of TEAM_DATABASES) await deleteConnector(connectUrl, connectorName(database));
  const deadline = Date.now() + WAIT_MS;
  for (const database of TEAM_DATABASES) {
    // The slot stays active until the deleted connector's task has stopped.
    while (!(await dropSlotIfIdle(pgUrl, database))) {
      if (Date.now() > deadline) throw new StackError(`the replication slot ${slotName(database)} stays in use after its connector was deleted`);
      await sleep(500);
    }
  }
}

async function withDatabase<T>(pgUrl: string, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${pgUrl}/${database}` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function slotExists(pgUrl: string, database: string): Promise<boolean> {
  return withDatabase(pgUrl, database, async (client) => (await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slotName(database)])).rowCount === 1);
}

async function slotActive(pgUrl: string, database: string): Promise<boolean> {
  return withDatabase(pgUrl, database, async (client) => {
    const { rows } = await client.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slotName(database)]);
    return rows[0]?.active === true;
  });
}

/** True once the slot is gone (dropped now or never there); false while a connector still holds it. */
async function dropSlotIfIdle(pgUrl: string, database: string): Promise<boolean> {
  return withDatabase(pgUrl, database, async (client) => {
    const { rows } = await client.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slotName(database)]);
    if (rows[0] === undefined) return true;
    if (rows[0].active) return false;
    await client.query('SELECT pg_drop_replication_slot($1)', [slotName(database)]);
    return true;
  });
}

async function createMissingTopics(brokers: string[], topics: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'fedsearch-demo-capture', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: 3 })) });
  } finally {
    await admin.disconnect();
  }
}
