import { readFileSync } from 'node:fs';

// Debezium 3.6.1 PostgreSQL connector messages as Kafka Connect's JSON converter writes them, for a
// table `movies (id text PRIMARY KEY, title text NOT NULL)`, with the schema envelope on or off:
// built field for field like the ones a real worker sent in test/stack/cdcServices.int.test.ts,
// kept verbatim in fixtures/debezium-postgres-3.6.1.jsonl (r, c, u, d and the tombstone).

export type Row = Record<string, string | number | null>;

const COMMIT_MS = 1_764_923_400_123;

function column(field: string, value: string | number | null): Record<string, unknown> {
  return { type: typeof value === 'number' ? 'int64' : 'string', optional: false, field };
}

function rowSchema(row: Row, field: 'before' | 'after'): Record<string, unknown> {
  return { type: 'struct', fields: Object.entries(row).map(([name, value]) => column(name, value)), optional: true, name: 'cdc.movies.public.movies.Value', field };
}

const SOURCE_SCHEMA = {
  type: 'struct',
  fields: [
    { type: 'string', optional: false, field: 'version' },
    { type: 'string', optional: false, field: 'connector' },
    { type: 'string', optional: false, field: 'name' },
    { type: 'int64', optional: false, field: 'ts_ms' },
    { type: 'string', optional: true, name: 'io.debezium.data.Enum', version: 1, parameters: { allowed: 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental' }, default: 'false', field: 'snapshot' },
    { type: 'string', optional: false, field: 'db' },
    { type: 'string', optional: true, field: 'sequence' },
    { type: 'int64', optional: true, field: 'ts_us' },
    { type: 'int64', optional: true, field: 'ts_ns' },
    { type: 'string', optional: false, field: 'schema' },
    { type: 'string', optional: false, field: 'table' },
    { type: 'int64', optional: true, field: 'txId' },
    { type: 'int64', optional: true, field: 'lsn' },
    { type: 'int64', optional: true, field: 'xmin' },
    { type: 'string', optional: true, field: 'origin' },
    { type: 'int64', optional: true, field: 'origin_lsn' },
  ],
  optional: false,
  name: 'io.debezium.connector.postgresql.Source',
  version: 1,
  field: 'source',
};

/** One change's payload: `op`, the row images, the source block (commit time `commitMs`). */
export function changePayload(op: 'c' | 'u' | 'r' | 'd', before: Row | null, after: Row | null, commitMs = COMMIT_MS): Record<string, unknown> {
  return {
    before,
    after,
    source: {
      version: '3.6.1.Final',
      connector: 'postgresql',
      name: 'cdc.movies',
      ts_ms: commitMs,
      snapshot: op === 'r' ? 'last' : 'false',
      db: 'movies',
      sequence: '["24023128","24023184"]',
      ts_us: commitMs * 1000,
      ts_ns: commitMs * 1_000_000,
      schema: 'public',
      table: 'movies',
      txId: 743,
      lsn: 24023184,
      xmin: null,
      origin: null,
      origin_lsn: null,
    },
    transaction: null,
    op,
    // When Debezium read the change, after the commit.
    ts_ms: commitMs + 250,
    ts_us: (commitMs + 250) * 1000,
    ts_ns: (commitMs + 250) * 1_000_000,
  };
}

/** The value with the JSON converter's schemas on (`{schema, payload}`), Kafka Connect's default. */
export function withSchema(payload: Record<string, unknown>): Buffer {
  const row = (payload.after ?? payload.before ?? {}) as Row;
  const schema = {
    type: 'struct',
    fields: [
      rowSchema(row, 'before'),
      rowSchema(row, 'after'),
      SOURCE_SCHEMA,
      { type: 'struct', fields: [{ type: 'string', optional: false, field: 'id' }, { type: 'int64', optional: false, field: 'total_order' }, { type: 'int64', optional: false, field: 'data_collection_order' }], optional: true, name: 'event.block', version: 1, field: 'transaction' },
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
      { type: 'int64', optional: true, field: 'ts_us' },
      { type: 'int64', optional: true, field: 'ts_ns' },
    ],
    optional: false,
    name: 'cdc.movies.public.movies.Envelope',
    version: 2,
  };
  return Buffer.from(JSON.stringify({ schema, payload }));
}

/** The value with the JSON converter's schemas off: the payload alone. */
export function withoutSchema(payload: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(payload));
}

/** The message key: the primary key's columns, in the schema envelope. */
export function keyOf(row: Row): Buffer {
  const schema = { type: 'struct', fields: Object.entries(row).map(([name, value]) => column(name, value)), optional: false, name: 'cdc.movies.public.movies.Key' };
  return Buffer.from(JSON.stringify({ schema, payload: row }));
}

/** A heartbeat (`heartbeat.interval.ms`), on `__debezium-heartbeat.<prefix>`. */
export function heartbeat(envelope: boolean): Buffer {
  const payload = { ts_ms: COMMIT_MS };
  const schema = { type: 'struct', fields: [{ type: 'int64', optional: false, field: 'ts_ms' }], optional: false, name: 'io.debezium.connector.common.Heartbeat' };
  return Buffer.from(JSON.stringify(envelope ? { schema, payload } : payload));
}

/** A transaction's END on `<prefix>.transaction` (`provide.transaction.metadata`). */
export function transactionEnd(): Buffer {
  return Buffer.from(
    JSON.stringify({
      status: 'END',
      id: '743:24023184',
      event_count: 2,
      data_collections: [{ data_collection: 'public.movies', event_count: 2 }],
      ts_ms: COMMIT_MS,
    }),
  );
}

export const COMMIT_TIME_MS = COMMIT_MS;

/** The messages a real worker sent (key and value as text, a null value for the tombstone). */
export function capturedMessages(): Array<{ key: Buffer | null; value: Buffer | null }> {
  const lines = readFileSync(new URL('./fixtures/debezium-postgres-3.6.1.jsonl', import.meta.url), 'utf8').trim().split('\n');
  return lines.map((line) => {
    const { key, value } = JSON.parse(line) as { key: string | null; value: string | null };
    return { key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value) };
  });
}
