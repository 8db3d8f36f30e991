import { describe, expect, it } from 'vitest';
import { EntityTable } from '../../subgraphs/shared/entityTable.ts';
import { entityId } from '../../subgraphs/data/studioRows.ts';

const row = (id: string) => ({ id });
const idsOf = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

describe('EntityTable', () => {
  it('pages in id order whatever the insertion order', () => {
    const table = new EntityTable((r: { id: string }) => r.id, ['c', 'a', 'e', 'b', 'd'].map(row));
    const first = table.page(2, null);
    expect(idsOf(first.rows)).toEqual(['a', 'b']);
    expect(first.hasNextPage).toBe(true);
    const second = table.page(2, first.endCursor);
    expect(idsOf(second.rows)).toEqual(['c', 'd']);
    const third = table.page(2, second.endCursor);
    expect(idsOf(third.rows)).toEqual(['e']);
    expect(third.hasNextPage).toBe(false);
  });

  it('keeps a cursor valid when the row it names is deleted and others are added', () => {
    const table = new EntityTable((r: { id: string }) => r.id, ['a', 'b', 'c', 'd'].map(row));
    const first = table.page(2, null);
    table.delete('b');
    table.put(row('bb'));
    table.put(row('e'));
    expect(idsOf(table.page(10, first.endCursor).rows)).toEqual(['bb', 'c', 'd', 'e']);
    expect(table.size).toBe(5);
  });

  it('returns the replaced and the deleted row', () => {
    const table = new EntityTable((r: { id: string; v?: number }) => r.id, [{ id: 'a', v: 1 }]);
    expect(table.put({ id: 'a', v: 2 })).toEqual({ id: 'a', v: 1 });
    expect(table.delete('a')).toEqual({ id: 'a', v: 2 });
    expect(table.delete('a')).toBeUndefined();
    expect(table.page(5, null)).toEqual({ rows: [], endCursor: null, hasNextPage: false });
  });

  // 100,000 movies come with 300,000 talent: the demo graph of that size crashed at start-up.
  it('holds the talent of a 100,000-movie studio and pages it in id order', () => {
    const rows = Array.from({ length: 300_000 }, (_, n) => ({ id: entityId('tal', 300_000 - n) }));
    const table = new EntityTable((r: { id: string }) => r.id, rows);
    expect(table.size).toBe(300_000);
    const first = table.page(2, null);
    expect(idsOf(first.rows)).toEqual(['tal-0000001', 'tal-0000002']);
  });
});
