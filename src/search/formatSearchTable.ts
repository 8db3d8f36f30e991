import type { LoadedIndex } from '../index/loadIndex.ts';
import type { SearchResponse } from './searchService.ts';
import { valueAt } from '../valueAt.ts';

/** A search response as people read it in a terminal: hits with their main text fields, then facets. */
export function formatSearchTable(response: SearchResponse, loaded: LoadedIndex): string {
  const shown = loaded.fields.filter((field) => !field.multiValued && field.indexed && (field.textField !== null || field.facet)).slice(0, 4);
  const header = ['id', ...shown.map((field) => field.path)];
  const rows = response.hits.map((hit) => [hit.id, ...shown.map((field) => String(valueAt(hit.document, field.path) ?? ''))]);
  const widths = header.map((title, column) => Math.min(40, Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length))));
  const line = (cells: string[]): string => cells.map((cell, column) => truncate(cell, widths[column] as number).padEnd(widths[column] as number)).join('  ');
  const out = [`${response.total} hit${response.total === 1 ? '' : 's'}`, line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const [path, values] of Object.entries(response.facets)) {
    if (values.length === 0) continue;
    out.push('', `${path}: ${values.map((v) => `${v.selected ? '[x] ' : ''}${v.value} (${v.count})`).join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

