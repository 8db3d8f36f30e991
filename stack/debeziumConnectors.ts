import { POSTGRES_USER, postgresPort, TEAM_DATABASES } from './postgresService.ts';
import { StackError } from './stackError.ts';

export const POSTGRES_CONNECTOR_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';

/** One team's change-data-capture source: a database and the topic prefix of its change topics. */
export interface TeamSource {
  /** Database in the stack's PostgreSQL cluster, e.g. `movies`. */
  database: string;
  /**
   * Prefix of the change topics (`<prefix>.<schema>.<table>`, e.g. `movies.public.movies`);
   * the database's name unless given.
   */
  topicPrefix?: string;
  /** Connect's JSON converter with its `{"schema", "payload"}` envelope (Connect's default) or the bare payload. */
  schemas?: boolean;
  /** PostgreSQL port; the stack's (FEDSEARCH_PG_PORT) unless given. */
  port?: number;
  /**
   * `initial` (Debezium's default): the rows already there are read once (`op: r`) before the
   * changes; `no_data`: changes from the connector's start only, when a backfill indexes what is there.
   */
  snapshot?: 'initial' | 'no_data';
  /** A heartbeat on `__debezium-heartbeat.<prefix>` this often, so the slot moves on while the tables are quiet. */
  heartbeatIntervalMs?: number;
}

/**
 * The team connectors' settings besides the database. Each connector's `topic.prefix` is its own
 * (Debezium names its JMX metrics and heartbeat topic after it: two connectors sharing one wait a
 * minute each for the other's metrics to go): the database's name, or `<namespace>.<database>`.
 */
export type TeamSources = Omit<TeamSource, 'database' | 'topicPrefix'> & { namespace?: string };

/** One team's source from the settings all teams share. */
export function teamSource(database: string, sources: TeamSources = {}): TeamSource {
  const { namespace, ...rest } = sources;
  return { ...rest, database, topicPrefix: namespace === undefined ? database : `${namespace}.${database}` };
}

/** The replication slot (and publication) of a database's connector. */
export function slotName(database: string): string {
  return `fedsearch_${database.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;
}

/** The connector's name in Connect: one per team database. */
export function connectorName(database: string): string {
  return `cdc-${database}`;
}

/**
 * Debezium's PostgreSQL connector for one database, as a team running Debezium configures it:
 * the built-in `pgoutput` decoder (nothing to install in the server), a replication slot and a
 * publication of its own (so connectors of different databases never share a slot), Connect's JSON
 * converter for keys and values, and a tombstone after every delete (compaction-friendly topics).
 */
export function teamConnectorConfig(source: TeamSource): Record<string, string> {
  const identifier = slotName(source.database);
  const schemas = String(source.schemas ?? true);
  return {
    'connector.class': POSTGRES_CONNECTOR_CLASS,
    'tasks.max': '1',
    'database.hostname': '127.0.0.1',
    'database.port': String(source.port ?? postgresPort()),
    'database.user': POSTGRES_USER,
    'database.dbname': source.database,
    'topic.prefix': source.topicPrefix ?? source.database,
    'plugin.name': 'pgoutput',
    'slot.name': identifier,
    'publication.name': identifier,
    'publication.autocreate.mode': 'all_tables',
    'tombstones.on.delete': 'true',
    'snapshot.mode': source.snapshot ?? 'initial',
    ...(source.heartbeatIntervalMs === undefined ? {} : { 'heartbeat.interval.ms': String(source.heartbeatIntervalMs) }),
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': schemas,
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': schemas,
  };
}

export type Registration = 'created' | 'updated' | 'unchanged';

/**
 * Creates or updates connector `name` with `config` (PUT /connectors/<name>/config). Idempotent:
 * a connector that already has exactly this config is left alone, so registering again at every
 * start does not restart it. The config is validated first (Debezium connects to the database);
 * a rejected config throws with the connector's reasons and nothing is registered.
 */
export async function registerConnector(connectUrl: string, name: string, config: Record<string, string>): Promise<Registration> {
  const current = await connectRequest(connectUrl, 'GET', `/connectors/${encodeURIComponent(name)}/config`, undefined, [404]);
  if (current.status === 200 && sameConfig(current.body as Record<string, string>, { ...config, name })) return 'unchanged';
  const errors = await validationErrors(connectUrl, { ...config, name });
  if (errors.length > 0) {
    throw new StackError(`Kafka Connect at ${connectUrl} rejected connector ${name}'s config: ${errors.join('; ')}`);
  }
  const put = await connectRequest(connectUrl, 'PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
  return put.status === 201 ? 'created' : 'updated';
}

/** Registers one connector per team database (movies, productions, talent). */
export async function registerTeamConnectors(
  connectUrl: string,
  options: TeamSources = {},
): Promise<Map<string, Registration>> {
  const registered = new Map<string, Registration>();
  for (const database of TEAM_DATABASES) {
    const name = connectorName(database);
    registered.set(name, await registerConnector(connectUrl, name, teamConnectorConfig(teamSource(database, options))));
  }
  return registered;
}

interface ValidationBody {
  error_count: number;
  configs: { value: { name: string; errors: string[] } | null }[];
}

/**
 * The connector's own reasons for rejecting `config` (PUT /connector-plugins/<class>/config/validate),
 * as "<key>: <error>". Asked separately because Connect 4.3's PUT /connectors/<name>/config turns
 * Debezium 3.6's rejections into an HTTP 500 NullPointerException (one of Debezium's config
 * definitions comes back without a value), which hides the reason.
 */
async function validationErrors(connectUrl: string, config: Record<string, string>): Promise<string[]> {
  const plugin = encodeURIComponent(config['connector.class'] ?? '');
  const { body } = await connectRequest(connectUrl, 'PUT', `/connector-plugins/${plugin}/config/validate`, config);
  const validation = body as ValidationBody;
  if (validation.error_count === 0) return [];
  return validation.configs.flatMap(({ value }) => (value === null ? [] : value.errors.map((error) => `${value.name}: ${error}`)));
}

export async function deleteConnector(connectUrl: string, name: string): Promise<void> {
  await connectRequest(connectUrl, 'DELETE', `/connectors/${encodeURIComponent(name)}`, undefined, [404]);
}

/**
 * Deletes connector `name` with the source offsets Connect keeps for it (KIP-875: stopped, offsets
 * reset, deleted), so that the connector registered again under its name starts afresh instead of
 * asking its database for a position the database no longer has (its replication slot was
 * dropped, or the database made anew). A connector that is not registered is created stopped
 * (KIP-980) with `config`, for its offsets outlive it.
 */
export async function forgetConnector(connectUrl: string, name: string, config: Record<string, string>): Promise<void> {
  const path = `/connectors/${encodeURIComponent(name)}`;
  const { status } = await connectRequest(connectUrl, 'PUT', `${path}/stop`, undefined, [404]);
  if (status === 404) await connectRequest(connectUrl, 'POST', '/connectors', { name, config, initial_state: 'STOPPED' });
  // Offsets can be reset only once the connector is STOPPED.
  for (let waited = 0; (await connectorStatus(connectUrl, name).catch(() => undefined))?.state !== 'STOPPED'; waited += 500) {
    if (waited > 60_000) throw new StackError(`Kafka Connect at ${connectUrl} did not stop connector ${name} within 60s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await connectRequest(connectUrl, 'DELETE', `${path}/offsets`);
  await deleteConnector(connectUrl, name);
}

type ConnectState = 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'UNASSIGNED' | 'RESTARTING';

interface ConnectStatusBody {
  name: string;
  connector: { state: ConnectState; trace?: string };
  tasks: { id: number; state: ConnectState; trace?: string }[];
}

/** A connector's state as Connect reports it, with the first line of its failure's trace. */
export interface ConnectorStatus {
  name: string;
  /** FAILED when the connector or any of its tasks failed; otherwise the connector's own state. */
  state: ConnectState;
  /** Connect's reason for a failure: the first line of the trace (exception class and message). */
  reason?: string;
}

/**
 * GET /connectors/<name>/status. Connect answers 404 (thrown as a StackError) for a connector
 * just registered until its worker has written the first status.
 */
export async function connectorStatus(connectUrl: string, name: string): Promise<ConnectorStatus> {
  const { body } = await connectRequest(connectUrl, 'GET', `/connectors/${encodeURIComponent(name)}/status`);
  return summarise(body as ConnectStatusBody);
}

/** Every connector of the worker with its state (GET /connectors?expand=status). */
export async function connectorStatuses(connectUrl: string): Promise<ConnectorStatus[]> {
  const { body } = await connectRequest(connectUrl, 'GET', '/connectors?expand=status');
  const byName = body as Record<string, { status: ConnectStatusBody }>;
  return Object.values(byName)
    .map(({ status }) => summarise(status))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** One line per failed connector, for `stack status`: "connector cdc-movies FAILED: <reason>". */
export async function connectorProblems(connectUrl: string): Promise<string[]> {
  const statuses = await connectorStatuses(connectUrl);
  return statuses
    .filter((status) => status.state === 'FAILED')
    .map((status) => `connector ${status.name} FAILED: ${status.reason ?? 'Connect gave no reason'}`);
}

function summarise(status: ConnectStatusBody): ConnectorStatus {
  const failedTask = status.tasks.find((task) => task.state === 'FAILED');
  if (status.connector.state === 'FAILED' || failedTask !== undefined) {
    const trace = status.connector.state === 'FAILED' ? status.connector.trace : failedTask?.trace;
    const reason = trace?.split('\n')[0]?.trim();
    return { name: status.name, state: 'FAILED', ...(reason ? { reason } : {}) };
  }
  return { name: status.name, state: status.connector.state };
}

function sameConfig(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

/** How long a request waits out a worker that is rebalancing before it gives up. */
const REBALANCE_PATIENCE_MS = 60_000;

/**
 * Connect refuses a request while its worker group rebalances, which it does after every
 * connector created or deleted: 409 "conflicting operation (e.g. worker rebalance)" or 500
 * "Request cannot be completed because a rebalance is expected". Both pass by themselves.
 */
export function isRebalanceRefusal(status: number, message: string): boolean {
  return (status === 409 || status === 500) && /rebalanc|stale configuration|conflicting operation/i.test(message);
}

async function connectRequest(
  connectUrl: string,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  alsoAccepted: number[] = [],
): Promise<{ status: number; body: unknown }> {
  const giveUpAt = Date.now() + REBALANCE_PATIENCE_MS;
  for (let pauseMs = 250; ; pauseMs = Math.min(pauseMs * 2, 2_000)) {
    const answer = await connectRequestOnce(connectUrl, method, path, body);
    if (answer.ok || alsoAccepted.includes(answer.status)) return { status: answer.status, body: answer.body };
    const refusal = `Kafka Connect at ${connectUrl} refused ${method} ${path} (HTTP ${answer.status}): ${answer.message}`;
    if (!isRebalanceRefusal(answer.status, answer.message)) throw new StackError(refusal);
    if (Date.now() + pauseMs > giveUpAt) {
      throw new StackError(`${refusal} — still refused after waiting ${REBALANCE_PATIENCE_MS / 1000}s for the worker to rebalance`);
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

async function connectRequestOnce(
  connectUrl: string,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  body: unknown,
): Promise<{ ok: boolean; status: number; body: unknown; message: string }> {
  let response: Response;
  try {
    response = await fetch(`${connectUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // Connect validates a connector's config synchronously (Debezium connects to PostgreSQL).
      signal: AbortSignal.timeout(90_000),
    });
  } catch (error) {
    throw new StackError(`Kafka Connect at ${connectUrl} did not answer ${method} ${path}: ${(error as Error).message}`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // A refusal's reason may be plain text (it is quoted whole); an answer to use must be JSON.
    if (response.ok) throw new StackError(`Kafka Connect at ${connectUrl} answered ${method} ${path} with something other than JSON: ${text.slice(0, 200)}`);
  }
  const message = (parsed as { message?: string } | undefined)?.message ?? text;
  return { ok: response.ok, status: response.status, body: parsed, message };
}
