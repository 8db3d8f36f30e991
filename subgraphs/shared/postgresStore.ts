import pg from 'pg';
import { decodeCursor, encodeCursor } from './entityTable.ts';
import { readThroughOutage } from './postgresOutage.ts';
import { columnOf, idAfter, sequenceOf, type ColumnType, type TableSpec, type TeamStore, type TeamTable, type TeamTablePage } from './teamTable.ts';

/** PostgreSQL's type oid of `date`: kept as its text (`2024-05-01`), not turned into a local-midnight Date. */
const DATE_OID = 1082;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Rows inserted per statement when a table is filled. */
const FILL_CHUNK = 5_000;

/**
 * The teams' tables in PostgreSQL: one database per team (`<server url>/<team>`), each mutation a
 * transaction, and no event published by anyone here — the change-data-capture connector reads
 * the database's log. A new database is filled with the studio's rows; `studioKey` names that
 * studio (size and seed), so a database filled with another is emptied and filled again.
 */
export class PostgresStore implements TeamStore {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly tables: { spec: TableSpec<never>; rows: unknown[] }[] = [];

  constructor(
    private readonly serverUrl: string,
    private readonly studioKey: string,
    /** Fill the databases again even when they hold this studio already. */
    private readonly refill = false,
  ) {}

  table<T>(spec: TableSpec<T>, initialRows: T[]): TeamTable<T> {
    this.tables.push({ spec: spec as unknown as TableSpec<never>, rows: initialRows });
    return new PostgresTable(this.pool(spec.team), spec);
  }

  async ready(): Promise<void> {
    for (const team of new Set(this.tables.map(({ spec }) => spec.team))) {
      const tables = this.tables.filter(({ spec }) => spec.team === team);
      await fillTeamDatabase(this.pool(team), this.studioKey, tables, this.refill);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.end()));
  }

  private pool(team: string): pg.Pool {
    let pool = this.pools.get(team);
    if (pool === undefined) {
      pool = new pg.Pool({ connectionString: `${this.serverUrl}/${team}`, max: 4, types });
      // An idle client whose server went away (PostgreSQL restarted) emits this; the next query reconnects.
      pool.on('error', () => undefined);
      this.pools.set(team, pool);
    }
    return pool;
  }
}

/** Whether the team databases at `serverUrl` hold the studio `studioKey` names (false when any is empty or another's). */
export async function holdsStudio(serverUrl: string, teams: readonly string[], studioKey: string): Promise<boolean> {
  for (const team of teams) {
    const client = new pg.Client({ connectionString: `${serverUrl}/${team}` });
    await client.connect();
    try {
      if ((await studioIn(client)) !== studioKey) return false;
    } finally {
      await client.end();
    }
  }
  return true;
}

async function studioIn(client: pg.ClientBase): Promise<string | null> {
  const exists = await client.query<{ found: string | null }>("SELECT to_regclass('fedsearch_studio')::text AS found");
  if (exists.rows[0]?.found == null) return null;
  return (await client.query<{ key: string }>('SELECT key FROM fedsearch_studio')).rows[0]?.key ?? null;
}

/**
 * Creates the team's tables and fills them, in one transaction, unless they hold this studio
 * already (or `refill` says to). Every table's replica identity is FULL: a delete's change event then carries the whole
 * row (a credit's movie id, which the index needs), not only the key.
 */
async function fillTeamDatabase(pool: pg.Pool, studioKey: string, tables: { spec: TableSpec<never>; rows: unknown[] }[], refill: boolean): Promise<void> {
  const client = await pool.connect();
  try {
    if (!refill && (await studioIn(client)) === studioKey) return;
    await client.query('BEGIN');
    await client.query('DROP TABLE IF EXISTS fedsearch_studio');
    for (const { spec, rows } of tables) {
      await client.query(`DROP TABLE IF EXISTS ${spec.table}`);
      const columns = fieldsOf(spec).map(([field, type]) => `${columnOf(spec, field)} ${type}${field === spec.idField ? ' PRIMARY KEY' : ''}`);
      await client.query(`CREATE TABLE ${spec.table} (${columns.join(', ')})`);
      await client.query(`ALTER TABLE ${spec.table} REPLICA IDENTITY FULL`);
      for (const field of spec.indexedBy) {
        await client.query(`CREATE INDEX ${spec.table}_${columnOf(spec, field)} ON ${spec.table} (${columnOf(spec, field)})`);
      }
      for (let start = 0; start < rows.length; start += FILL_CHUNK) {
        const records = rows.slice(start, start + FILL_CHUNK).map((row) => recordOf(spec, row as never));
        await client.query(`INSERT INTO ${spec.table} SELECT * FROM json_populate_recordset(NULL::${spec.table}, $1::json)`, [JSON.stringify(records)]);
      }
    }
    await client.query('CREATE TABLE fedsearch_studio (key text NOT NULL)');
    await client.query('INSERT INTO fedsearch_studio VALUES ($1)', [studioKey]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`filling the ${tables[0]?.spec.team} database with the demo studio failed: ${(error as Error).message}`, { cause: error });
  } finally {
    client.release();
  }
}

function fieldsOf<T>(spec: TableSpec<T>): [keyof T & string, ColumnType][] {
  return Object.entries(spec.columns) as [keyof T & string, ColumnType][];
}

/** The row as a record of columns, as json_populate_recordset reads it. */
function recordOf<T>(spec: TableSpec<T>, row: T): Record<string, unknown> {
  return Object.fromEntries(fieldsOf(spec).map(([field]) => [columnOf(spec, field), row[field]]));
}

/**
 * One team table in PostgreSQL. Lookups by id or by an indexed column that arrive in the same turn
 * of the event loop go out as one query (`= ANY($1)`): the gateway asks a subgraph for a batch of
 * entities at once, and one query per entity would be a round trip each.
 */
class PostgresTable<T> implements TeamTable<T> {
  private readonly fields: [keyof T & string, ColumnType][];
  private readonly batches = new Map<string, Map<string, { resolve: (rows: T[]) => void; reject: (error: unknown) => void }[]>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly spec: TableSpec<T>,
  ) {
    this.fields = fieldsOf(spec);
  }

  async get(id: string): Promise<T | undefined> {
    return (await this.lookUp('id', id))[0];
  }

  where(field: keyof T & string, value: string): Promise<T[]> {
    return this.lookUp(columnOf(this.spec, field), value);
  }

  async page(first: number, after: string | null | undefined): Promise<TeamTablePage<T>> {
    const { rows } = await readThroughOutage(() => this.pool.query(`SELECT * FROM ${this.spec.table} WHERE id > $1 ORDER BY id LIMIT $2`, [after ? decodeCursor(after) : '', first + 1]));
    const count = await readThroughOutage(() => this.pool.query<{ count: string }>(`SELECT count(*) AS count FROM ${this.spec.table}`));
    const page = rows.slice(0, first).map((record) => this.rowOf(record));
    const last = page.at(-1);
    return {
      rows: page,
      endCursor: last === undefined ? null : encodeCursor(String((last as T)[this.spec.idField])),
      hasNextPage: rows.length > first,
      totalCount: Number(count.rows[0]?.count ?? 0),
    };
  }

  async save(row: T): Promise<T> {
    const columns = this.fields.map(([field]) => columnOf(this.spec, field));
    const values = this.fields.map(([field, type]) => (type === 'jsonb' ? JSON.stringify(row[field]) : row[field]));
    const updates = columns.filter((column) => column !== 'id').map((column) => `${column} = EXCLUDED.${column}`);
    const { rows } = await this.pool.query(
      `INSERT INTO ${this.spec.table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) ` +
        `ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')} RETURNING *`,
      values,
    );
    return this.rowOf(rows[0] as Record<string, unknown>);
  }

  async remove(id: string): Promise<T | undefined> {
    const { rows } = await this.pool.query(`DELETE FROM ${this.spec.table} WHERE id = $1 RETURNING *`, [id]);
    return rows[0] === undefined ? undefined : this.rowOf(rows[0] as Record<string, unknown>);
  }

  async nextId(prefix: string): Promise<string> {
    const { rows } = await this.pool.query<{ highest: string | null }>(`SELECT max(id) AS highest FROM ${this.spec.table}`);
    return idAfter(prefix, sequenceOf(rows[0]?.highest));
  }

  private rowOf(record: Record<string, unknown>): T {
    return Object.fromEntries(
      this.fields.map(([field, type]) => {
        const value = record[columnOf(this.spec, field)];
        return [field, type === 'timestamptz' && value instanceof Date ? value.toISOString() : value];
      }),
    ) as T;
  }

  /** The rows whose `column` is `value`, batched with the other lookups on that column in this turn. */
  private lookUp(column: string, value: string): Promise<T[]> {
    let batch = this.batches.get(column);
    if (batch === undefined) {
      batch = new Map();
      this.batches.set(column, batch);
      setImmediate(() => void this.flush(column));
    }
    const waiting = batch;
    return new Promise((resolve, reject) => {
      const waiters = waiting.get(value) ?? [];
      waiters.push({ resolve, reject });
      waiting.set(value, waiters);
    });
  }

  private async flush(column: string): Promise<void> {
    const batch = this.batches.get(column);
    this.batches.delete(column);
    if (batch === undefined) return;
    try {
      // The gateway's lookups ride out a database restart (reads only; writes fail and say so).
      const { rows } = await readThroughOutage(() => this.pool.query(`SELECT * FROM ${this.spec.table} WHERE ${column} = ANY($1) ORDER BY id`, [[...batch.keys()]]));
      const byValue = new Map<string, T[]>();
      for (const record of rows as Record<string, unknown>[]) {
        const key = String(record[column]);
        byValue.set(key, [...(byValue.get(key) ?? []), this.rowOf(record)]);
      }
      for (const [value, waiters] of batch) for (const waiter of waiters) waiter.resolve(byValue.get(value) ?? []);
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
}
