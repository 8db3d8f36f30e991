import { GraphQLError } from 'graphql';
import type { StudioTopics } from './changeEvents.ts';
import { encodeCursor } from './entityTable.ts';

/** How a row's field is kept in PostgreSQL (the in-memory store keeps the value as it is). */
export type ColumnType = 'text' | 'text[]' | 'integer' | 'double precision' | 'jsonb' | 'date' | 'timestamptz';

/**
 * One team's table, as both stores know it: the database (the team's) and table it lives in on
 * PostgreSQL, the entity and topic of its application events in memory, and its fields' columns.
 * A field's column is its name in snake_case (`releaseYear` → `release_year`); the id field's is `id`.
 */
export interface TableSpec<T> {
  team: 'movies' | 'productions' | 'talent';
  table: string;
  entity: string;
  topic: keyof StudioTopics;
  idField: keyof T & string;
  columns: Record<keyof T & string, ColumnType>;
  /** Fields `where` finds rows by (indexed in both stores). */
  indexedBy: (keyof T & string)[];
}

/** One page of a table in id order, with the table's size. */
export interface TeamTablePage<T> {
  rows: T[];
  endCursor: string | null;
  hasNextPage: boolean;
  totalCount: number;
}

/**
 * A team's rows, whatever keeps them: the in-memory table that publishes an application event per
 * write, or a PostgreSQL table whose changes Debezium captures from the write-ahead log. Every
 * write is one transaction of the store.
 */
export interface TeamTable<T> {
  get(id: string): Promise<T | undefined>;
  /** The rows whose `field` (one of the spec's `indexedBy`) is `value`, in id order. */
  where(field: keyof T & string, value: string): Promise<T[]>;
  /** Rows after the cursor (the encoded id of the last row seen), in id order. */
  page(first: number, after: string | null | undefined): Promise<TeamTablePage<T>>;
  /** Creates or replaces the row. */
  save(row: T): Promise<T>;
  /** Deletes the row; returns it, or undefined when there was none. */
  remove(id: string): Promise<T | undefined>;
  /** The next free id with this prefix (`mov-0000123`). */
  nextId(prefix: string): Promise<string>;
}

/** Where the teams keep their tables; `close` releases what the store holds (connections, producer). */
export interface TeamStore {
  /** The team's table; `initialRows` is its content when the store starts empty. */
  table<T>(spec: TableSpec<T>, initialRows: T[]): TeamTable<T>;
  /** Resolves once every table asked for is ready to serve (created and filled when new). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** A Relay-style connection over one page of a table; a cursor is the encoded id of its row. */
export async function connectionOf<T>(table: TeamTable<T>, idOf: (row: T) => string, first: number, after: string | null | undefined) {
  if (!Number.isInteger(first) || first < 0 || first > 1000) {
    throw new GraphQLError(`first must be an integer from 0 to 1000, got ${first}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  const page = await table.page(first, after);
  return {
    edges: page.rows.map((node) => ({ node, cursor: encodeCursor(idOf(node)) })),
    pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage },
    totalCount: page.totalCount,
  };
}

/** `id` for the id field, else the field's name in snake_case. */
export function columnOf<T>(spec: TableSpec<T>, field: keyof T & string): string {
  return field === spec.idField ? 'id' : field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** The id after the highest sequence number in use: 42 → `mov-0000043`. */
export function idAfter(prefix: string, highestSequence: number): string {
  return `${prefix}-${String(highestSequence + 1).padStart(7, '0')}`;
}

/** The sequence number of an id (`mov-0000042` → 42); 0 for none. */
export function sequenceOf(id: string | null | undefined): number {
  return id ? Number(id.slice(id.lastIndexOf('-') + 1)) : 0;
}
