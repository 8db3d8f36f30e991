import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from '../src/clients/kafkajs.ts';
import { kafkaConnectTopics } from '../stack/kafkaConnectService.ts';
import { findPostgres } from '../stack/postgresInstall.ts';
import { cdcServices, stackDown, stackUp } from '../stack/stack.ts';
import { servicePaths } from '../stack/stackPaths.ts';

const run = promisify(execFile);

/**
 * PostgreSQL and a Kafka Connect worker (with Debezium) of one test file's own: on the ports it
 * names and in a cache folder of its own, so the default ones are untouched. The worker keeps its
 * state in the shared Kafka under a group (and topics) unique to this run. `stop()` stops both and
 * deletes that state, the topics the test names, the cluster's files and the cache.
 */
export interface CdcServices {
  runId: string;
  /** Environment the stack reads (also for child `fedsearch` processes). */
  env: Record<string, string>;
  connectUrl: string;
  /** `postgresql://` URL without a database; psql takes one as its path. */
  pgUrl: string;
  /** Started processes, by service name (empty when they were already running). */
  startedPids: Map<string, number>;
  /** Runs `sql` in `database` with psql, stopping at the first error; its output, unaligned. */
  psql(database: string, sql: string): Promise<string>;
  /** Stops the services and removes what they left, with `topics` of the test's own. */
  stop(topics: readonly string[]): Promise<void>;
}

export async function startCdcServices(options: { pgPort: number; connectPort: number; kafkaBrokers: string[]; say: (message: string) => void }): Promise<CdcServices> {
  const runId = randomBytes(4).toString('hex');
  const cache = mkdtempSync(join(tmpdir(), 'fedsearch-cdc-test-'));
  const env = {
    FEDSEARCH_CACHE: cache,
    FEDSEARCH_PG_PORT: String(options.pgPort),
    FEDSEARCH_CONNECT_PORT: String(options.connectPort),
    FEDSEARCH_CONNECT_GROUP: `fedsearch-connect-test-${runId}`,
  };
  const savedEnv = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  const pgUrl = `postgresql://postgres@127.0.0.1:${options.pgPort}`;
  const restoreEnv = (): void => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  let startedPids: Map<string, number>;
  try {
    // A first start into a fresh cache resolves Connect's Maven project and unpacks Debezium's plugin.
    startedPids = await stackUp(options.say, cdcServices());
  } catch (error) {
    // Whatever did start is stopped (the test's afterAll has nothing to stop it with).
    await stackDown(options.say, cdcServices()).catch(() => undefined);
    restoreEnv();
    throw error;
  }
  return {
    runId,
    env,
    connectUrl: `http://127.0.0.1:${options.connectPort}`,
    pgUrl,
    startedPids,
    async psql(database, sql) {
      const { stdout } = await run(findPostgres().psql, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql, `${pgUrl}/${database}`]);
      return stdout.trim();
    },
    async stop(topics) {
      await stackDown(options.say, cdcServices());
      const kafka = new Kafka({ clientId: 'fedsearch-cdc-test-cleanup', brokers: options.kafkaBrokers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      const { configs, offsets, status } = kafkaConnectTopics(env.FEDSEARCH_CONNECT_GROUP);
      const existing = new Set(await admin.listTopics());
      await admin.deleteTopics({ topics: [...topics, configs, offsets, status].filter((topic) => existing.has(topic)) });
      await admin.disconnect();
      // As root, the cluster's files live in the postgres user's home; run/<state>/data links to them.
      const dataLink = servicePaths(`postgres-${options.pgPort}`).dataDir;
      if (existsSync(dataLink)) rmSync(realpathSync(dataLink), { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
      restoreEnv();
    },
  };
}
