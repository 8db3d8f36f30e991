/** One page of a table in id order, for cursor pagination. */
export interface TablePage<T> {
  rows: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/**
 * A team's in-memory table: rows by id plus the ids in sorted order, so that cursor pagination
 * stays stable while rows are created and deleted (a cursor is the last id seen).
 */
export class EntityTable<T> {
  private readonly rows = new Map<string, T>();
  private readonly orderedIds: string[];

  constructor(
    private readonly idOf: (row: T) => string,
    initialRows: Iterable<T> = [],
  ) {
    for (const row of initialRows) this.rows.set(idOf(row), row);
    // Not push(...ids): spreading 300,000 talent ids overflows the call stack.
    this.orderedIds = [...this.rows.keys()].sort();
  }

  get size(): number {
    return this.rows.size;
  }

  get(id: string): T | undefined {
    return this.rows.get(id);
  }

  /** Inserts or replaces; returns the row it replaced. */
  put(row: T): T | undefined {
    const id = this.idOf(row);
    const before = this.rows.get(id);
    if (before === undefined) this.orderedIds.splice(this.insertionPoint(id), 0, id);
    this.rows.set(id, row);
    return before;
  }

  /** Removes; returns the removed row. */
  delete(id: string): T | undefined {
    const before = this.rows.get(id);
    if (before === undefined) return undefined;
    this.rows.delete(id);
    this.orderedIds.splice(this.insertionPoint(id), 1);
    return before;
  }

  /** Rows after the cursor (exclusive) in id order. */
  page(first: number, after: string | null | undefined): TablePage<T> {
    const start = after ? this.insertionPoint(decodeCursor(after), true) : 0;
    const ids = this.orderedIds.slice(start, start + first);
    const last = ids.at(-1);
    return {
      rows: ids.map((id) => this.rows.get(id) as T),
      endCursor: last === undefined ? null : encodeCursor(last),
      hasNextPage: start + ids.length < this.orderedIds.length,
    };
  }

  /** The highest numeric suffix in use, for issuing the next id. */
  maxSequence(): number {
    const last = this.orderedIds.at(-1);
    return last === undefined ? 0 : Number(last.slice(last.lastIndexOf('-') + 1));
  }

  /** Index of the first id >= id (or > id when `strictlyAfter`). */
  private insertionPoint(id: string, strictlyAfter = false): number {
    let low = 0;
    let high = this.orderedIds.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const probe = this.orderedIds[mid] as string;
      if (probe < id || (strictlyAfter && probe === id)) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
