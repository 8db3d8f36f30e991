import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { metricsPort, startMetricsServer } from '../pipeline/metricsServer.ts';

/** Where `audit --every` serves /metrics unless told otherwise (the pipeline's is 9464). */
export const DEFAULT_AUDIT_METRICS_PORT = 9465;
import { AuditMetrics } from './auditMetrics.ts';
import { runAudit, type AuditOptions, type AuditReport } from './runAudit.ts';

/**
 * `audit --every`: an audit run, then the next one `everySeconds` after this one began, until the
 * signal (Ctrl-C). Differences are remembered across runs, so one that lasts is counted from when
 * it was first seen; /metrics shows the last run. A run that fails (the graph down) is reported
 * and the schedule goes on.
 */
export async function auditEvery(
  loaded: LoadedIndex,
  options: AuditOptions & { everySeconds: number; metricsPort: number | null; signal: AbortSignal },
  onRun: (report: AuditReport) => void,
  say: (message: string) => void,
): Promise<void> {
  const metrics = new AuditMetrics(loaded.config.index);
  let lastRunOk = true;
  const server = await startMetricsServer(metrics, metricsPort(options.metricsPort, DEFAULT_AUDIT_METRICS_PORT), () => ({ ok: lastRunOk, detail: {} }));
  say(`${loaded.config.index}: auditing every ${options.everySeconds} s; metrics ${server.url}/metrics`);
  const firstSeen = new Map<string, number>();
  try {
    while (!options.signal.aborted) {
      const began = Date.now();
      try {
        const report = await runAudit(loaded, { ...options, firstSeen });
        metrics.record(report);
        lastRunOk = true;
        onRun(report);
      } catch (error) {
        lastRunOk = false;
        say(`${loaded.config.index}: audit run failed: ${(error as Error).message}; next run as scheduled`);
      }
      const wait = Math.max(0, began + options.everySeconds * 1000 - Date.now());
      await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await server.close();
  }
}
