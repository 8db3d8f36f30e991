import { applyAndPublish, type ChangeEventSink, type StudioTopics } from './changeEvents.ts';
import { EntityTable } from './entityTable.ts';
import { idAfter, type TableSpec, type TeamStore, type TeamTable, type TeamTablePage } from './teamTable.ts';

/**
 * A team's in-memory table whose every write emits an application change event (the bare
 * envelope) on the team's topic, keyed by the row's id: the outbox every mutation goes through.
 */
export class PublishingTable<T> implements TeamTable<T> {
  private readonly table: EntityTable<T>;
  private readonly idOf: (row: T) => string;
  /** Per indexed field: value → ids of the rows that have it. */
  private readonly indexes = new Map<keyof T & string, Map<string, Set<string>>>();

  constructor(
    private readonly spec: TableSpec<T>,
    rows: T[],
    private readonly sink: ChangeEventSink,
    private readonly topic: string,
  ) {
    this.idOf = (row) => String(row[spec.idField]);
    this.table = new EntityTable(this.idOf, rows);
    for (const field of spec.indexedBy) this.indexes.set(field, new Map());
    for (const row of rows) this.index(row);
  }

  async get(id: string): Promise<T | undefined> {
    return this.table.get(id);
  }

  async where(field: keyof T & string, value: string): Promise<T[]> {
    const ids = this.indexes.get(field)?.get(value);
    if (ids === undefined) return [];
    return [...ids].sort().flatMap((id) => this.table.get(id) ?? []);
  }

  async page(first: number, after: string | null | undefined): Promise<TeamTablePage<T>> {
    return { ...this.table.page(first, after), totalCount: this.table.size };
  }

  /** Creates or replaces the row, emitting `c` or `u`. */
  async save(row: T): Promise<T> {
    const id = this.idOf(row);
    const before = this.table.get(id) ?? null;
    await applyAndPublish(this.sink, this.topic, id, this.source(), { before, after: row }, () => this.put(row), () => (before === null ? this.delete(id) : this.put(before)));
    return row;
  }

  /** Deletes the row, emitting `d`. */
  async remove(id: string): Promise<T | undefined> {
    const before = this.table.get(id);
    if (before === undefined) return undefined;
    await applyAndPublish(this.sink, this.topic, id, this.source(), { before, after: null }, () => this.delete(id), () => this.put(before));
    return before;
  }

  async nextId(prefix: string): Promise<string> {
    return idAfter(prefix, this.table.maxSequence());
  }

  private source(): { service: string; entity: string } {
    return { service: this.spec.team, entity: this.spec.entity };
  }

  private put(row: T): void {
    const replaced = this.table.put(row);
    if (replaced !== undefined) this.unindex(replaced);
    this.index(row);
  }

  private delete(id: string): void {
    const removed = this.table.delete(id);
    if (removed !== undefined) this.unindex(removed);
  }

  private index(row: T): void {
    for (const [field, byValue] of this.indexes) {
      const value = String(row[field]);
      let ids = byValue.get(value);
      if (ids === undefined) byValue.set(value, (ids = new Set()));
      ids.add(this.idOf(row));
    }
  }

  private unindex(row: T): void {
    for (const [field, byValue] of this.indexes) byValue.get(String(row[field]))?.delete(this.idOf(row));
  }
}

/** The teams' tables in memory, each write announced by the team itself on its topic. */
export class MemoryStore implements TeamStore {
  constructor(
    private readonly sink: ChangeEventSink,
    private readonly topics: StudioTopics,
  ) {}

  table<T>(spec: TableSpec<T>, initialRows: T[]): TeamTable<T> {
    return new PublishingTable(spec, initialRows, this.sink, this.topics[spec.topic]);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    await this.sink.close();
  }
}
