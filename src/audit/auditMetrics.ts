import { Counter, Gauge, Registry } from 'prom-client';
import type { AuditReport } from './runAudit.ts';
import type { DifferenceClass, Persistence } from './auditVerdict.ts';

const CLASSES: readonly DifferenceClass[] = ['missing', 'extra', 'stale'];
const PERSISTENCES: readonly Persistence[] = ['settled', 'withinSla', 'persistent'];

/** What `audit --every` exports at /metrics, on a registry of its own. Alert on persistence="persistent". */
export class AuditMetrics {
  readonly registry = new Registry();
  private readonly differences: Gauge<'class' | 'persistence'>;
  private readonly runs: Counter;
  private readonly lastRun: Gauge;
  private readonly lastDuration: Gauge;
  private readonly compared: Gauge;

  constructor(index: string) {
    this.registry.setDefaultLabels({ index });
    const registers = [this.registry];
    this.differences = new Gauge({ name: 'fedsearch_audit_differences', help: 'Differences found by the last audit run, by class and persistence', labelNames: ['class', 'persistence'], registers });
    this.runs = new Counter({ name: 'fedsearch_audit_runs_total', help: 'Audit runs finished', registers });
    this.lastRun = new Gauge({ name: 'fedsearch_audit_last_run_timestamp_seconds', help: 'When the last audit run finished (Unix time)', registers });
    this.lastDuration = new Gauge({ name: 'fedsearch_audit_last_run_duration_seconds', help: 'How long the last audit run took', registers });
    this.compared = new Gauge({ name: 'fedsearch_audit_ids_compared', help: 'Documents whose content the last run compared with the graph', registers });
  }

  record(report: AuditReport): void {
    for (const kind of CLASSES) {
      for (const persistence of PERSISTENCES) {
        const count = [...report.settled, ...report.withinSla, ...report.persistent].filter((d) => d.class === kind && d.persistence === persistence).length;
        this.differences.set({ class: kind, persistence }, count);
      }
    }
    this.runs.inc();
    this.lastRun.set(Date.now() / 1000);
    this.lastDuration.set(report.seconds);
    this.compared.set(report.compared);
  }
}
