import type { Difference } from './auditVerdict.ts';
import type { AuditReport } from './runAudit.ts';

/** Whether the run fails (exit 1): a persistent difference, or after --repair one that still differs. */
export function auditFailed(report: AuditReport, repaired: boolean): boolean {
  return repaired ? report.stillDifferent.length > 0 : report.persistent.length > 0;
}

/** The report for a person: counts by class, then settled, within SLA and persistent, with ids and ages. */
export function formatAuditReport(index: string, report: AuditReport, show: number, repaired: boolean): string {
  const list = (ids: string[]): string => (ids.length === 0 ? '' : `: ${ids.slice(0, show).join(', ')}${ids.length > show ? ', …' : ''}`);
  const aged = (differences: Difference[]): string[] => differences.map((d) => `${d.id} (${d.class}, ${formatAge(d.ageSeconds)})`);
  const lines = [
    `${index}: ${report.graph} in the graph, ${report.indexed} in the index`,
    `  missing ${report.missing.length}${list(report.missing)}`,
    `  extra   ${report.extra.length}${list(report.extra)}`,
    `  stale   ${report.stale.length} of ${report.compared} compared${list(report.stale)}`,
    `  settled ${report.settled.length} (in flight when first seen, caught up since)${list(report.settled.map((d) => `${d.id} (${d.class})`))}`,
    `  within SLA ${report.withinSla.length}${list(aged(report.withinSla))}`,
    `  persistent ${report.persistent.length}${list(aged(report.persistent))}`,
  ];
  if (repaired) lines.push(`  repaired ${report.repaired}; still different ${report.stillDifferent.length}${list(report.stillDifferent)}`);
  const explained = [...report.withinSla, ...report.persistent].filter((d) => d.fields !== undefined).slice(0, show);
  if (explained.length > 0) lines.push('  stale fields (path: indexed → graph, owner):');
  for (const difference of explained) lines.push(`    ${difference.id}`, ...fieldLines(difference, show));
  if (report.volatile.length > 0) {
    lines.push(`  volatile ${report.volatile.length} (differ only in fields the graph answered differently on two reads in a row; not stale)${list(report.volatile.map((d) => d.id))}`);
  }
  if (report.volatileFields.length > 0) {
    lines.push('  volatile fields (leave them out of audits with the line shown, in the config):');
    for (const field of report.volatileFields) lines.push(`    ${field.fieldPath} (${field.subgraph ?? 'owner unknown'}): ${field.exclude}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A stale document's differing fields, one a line: path, both values (cut), owner, volatile or not. */
function fieldLines(difference: Difference, show: number): string[] {
  const fields = difference.fields ?? [];
  const lines = fields.slice(0, show).map(
    (field) =>
      `      ${field.path}: ${field.indexed} → ${field.graph}${field.truncated ? ' (cut)' : ''} (${field.subgraph ?? 'owner unknown'}${field.volatile ? ', volatile' : ''})`,
  );
  if (fields.length > show) lines.push(`      … ${fields.length - show} more`);
  return lines;
}

/** One JSON object on one line, for log pipelines: counts by class and persistence, and every unsettled id. */
export function auditJsonLine(index: string, report: AuditReport): string {
  const count = (persistence: Difference['persistence'], kind: Difference['class']): number =>
    [...report.settled, ...report.withinSla, ...report.persistent].filter((d) => d.persistence === persistence && d.class === kind).length;
  const differences = Object.fromEntries(
    (['missing', 'extra', 'stale'] as const).map((kind) => [kind, { settled: count('settled', kind), withinSla: count('withinSla', kind), persistent: count('persistent', kind) }]),
  );
  return `${JSON.stringify({
    index,
    startedAt: report.startedAt,
    seconds: Number(report.seconds.toFixed(3)),
    graph: report.graph,
    indexed: report.indexed,
    compared: report.compared,
    differences,
    persistent: report.persistent,
    withinSla: report.withinSla,
    volatile: report.volatile,
    volatileFields: report.volatileFields,
    repaired: report.repaired,
    stillDifferent: report.stillDifferent,
  })}\n`;
}

function formatAge(seconds: number | null): string {
  if (seconds === null) return 'settled';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3_600).toFixed(1)} h`;
}
