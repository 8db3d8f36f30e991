import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuditMetrics } from '../../src/audit/auditMetrics.ts';
import { PipelineMetrics } from '../../src/pipeline/pipelineMetrics.ts';

const DASHBOARD = new URL('../../dashboards/fedsearch.json', import.meta.url);

/** The series names a metric exports: a histogram's _bucket, _sum and _count; a counter's own name (which ends in _total). */
async function exportedSeries(): Promise<Set<string>> {
  const metrics = [...(await new PipelineMetrics('any').registry.getMetricsAsJSON()), ...(await new AuditMetrics('any').registry.getMetricsAsJSON())];
  return new Set(metrics.flatMap(({ name, type }) => (String(type) === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name])));
}

/** Every PromQL expression in the dashboard: its panels' targets and its variables' queries. */
function expressions(dashboard: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if ((key === 'expr' || key === 'query') && typeof inner === 'string') found.push(inner);
        else walk(inner);
      }
    }
  };
  walk(dashboard);
  return found;
}

/** The Grafana dashboard in the repository names only series the code exports, so none is an empty panel. */
describe('dashboards/fedsearch.json', () => {
  it('queries only metrics the indexer and the audit export, and every per-index and per-subgraph one the issue asks for', async () => {
    const exported = await exportedSeries();
    const named = new Set(expressions(JSON.parse(readFileSync(DASHBOARD, 'utf8'))).flatMap((expression) => expression.match(/\bfedsearch_\w+/g) ?? []));
    expect([...named].filter((name) => !exported.has(name))).toEqual([]);
    for (const needed of ['fedsearch_end_to_end_seconds_bucket', 'fedsearch_documents_written_total', 'fedsearch_consumer_lag', 'fedsearch_dead_letters_total', 'fedsearch_subgraph_errors_total', 'fedsearch_subgraph_fetch_seconds_bucket', 'fedsearch_dead_letters_waiting', 'fedsearch_dead_letter_oldest_age_seconds']) {
      expect(named).toContain(needed);
    }
  });
});
