import { applyAndPublish, type ChangeEventSink } from './changeEvents.ts';
import { GraphQLError } from 'graphql';
import { encodeCursor, type EntityTable } from './entityTable.ts';

/**
 * A team's table whose every write emits a change event on the team's topic, keyed by the row's
 * id: the outbox every mutation goes through.
 */
export class PublishingTable<T> {
  constructor(
    readonly table: EntityTable<T>,
    private readonly idOf: (row: T) => string,
    private readonly sink: ChangeEventSink,
    private readonly topic: string,
    private readonly source: { service: string; entity: string },
  ) {}

  get(id: string): T | undefined {
    return this.table.get(id);
  }

  /** Creates or replaces the row, emitting `c` or `u`. */
  async save(row: T): Promise<T> {
    const id = this.idOf(row);
    const before = this.table.get(id) ?? null;
    await applyAndPublish(
      this.sink,
      this.topic,
      id,
      this.source,
      { before, after: row },
      () => this.table.put(row),
      () => (before === null ? this.table.delete(id) : this.table.put(before)),
    );
    return row;
  }

  /** Deletes the row, emitting `d`; returns the deleted row, or undefined when there was none. */
  async remove(id: string): Promise<T | undefined> {
    const before = this.table.get(id);
    if (before === undefined) return undefined;
    await applyAndPublish(
      this.sink,
      this.topic,
      id,
      this.source,
      { before, after: null },
      () => this.table.delete(id),
      () => this.table.put(before),
    );
    return before;
  }

  /** The next free id with this prefix. */
  nextId(prefix: string): string {
    return `${prefix}-${String(this.table.maxSequence() + 1).padStart(7, '0')}`;
  }
}

/** A Relay-style connection over one page of a table; a cursor is the encoded id of its row. */
export function connectionOf<T>(
  table: EntityTable<T>,
  idOf: (row: T) => string,
  first: number,
  after: string | null | undefined,
) {
  if (!Number.isInteger(first) || first < 0 || first > 1000) {
    throw new GraphQLError(`first must be an integer from 0 to 1000, got ${first}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  const page = table.page(first, after);
  return {
    edges: page.rows.map((node) => ({ node, cursor: encodeCursor(idOf(node)) })),
    pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage },
    totalCount: table.size,
  };
}
