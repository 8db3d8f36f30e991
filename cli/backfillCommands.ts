import { Command, InvalidArgumentError } from 'commander';
import type { AuditReport } from '../src/audit/runAudit.ts';
import { count } from './countArgument.ts';
import { durationArgument } from './durationArgument.ts';
import { SINK_ACK_TIMEOUT_MS } from '../src/backfill/sinkAckTimeout.ts';
import { handleInterrupts, interruption } from '../src/interruption.ts';
import { loadIndex } from './loadIndexLazily.ts';
import { runAction } from './runAction.ts';

function rateOption(text: string): number {
  if (text === 'none' || text === 'uncapped') return Number.POSITIVE_INFINITY;
  const value = Number(text);
  if (!(value > 0)) throw new InvalidArgumentError('expected entities per second (> 0), or "none"');
  return value;
}

const say = (message: string): void => void process.stderr.write(`${message}\n`);

function seconds(text: string): number {
  const value = Number(text);
  if (!(value >= 0)) throw new InvalidArgumentError('expected seconds (≥ 0)');
  return value;
}

export function addBackfillCommands(program: Command): void {
  program
    .command('backfill')
    .argument('<config>', 'index configuration file (YAML)')
    .description('(re)index every entity through the pipeline, rate-limited, resumable; --new-version reindexes with zero downtime')
    .option('--rate <n>', 'entities per second at most, or "none" (default: backfill.rate in the config)', rateOption)
    .option('--resume', 'continue from the last checkpoint (after a crash or Ctrl-C)')
    .option('--ids-file <file>', 'backfill these ids (one per line) instead of listing them with backfill.query')
    .option('--new-version', 'build <index>_v<N+1> from the current template, write live updates to both, then swap the alias (not when an entity failed or a document was refused: exit 1, the alias stays)')
    .addHelpText('after', '\nCtrl-C (or SIGTERM) finishes the page in flight, saves the checkpoint and exits 130 (143 after SIGTERM: the work is not done); --resume continues. A second Ctrl-C stops at once.')
    .option('--cleanup', 'with --new-version: delete the old version right after the swap')
    .option('--grace <seconds>', 'with --new-version: keep the old version this long after the swap', count, 30)
    .option(
      '--ack-timeout <seconds>',
      'with --new-version: wait this long for every running sink to acknowledge the new version before fetching; past it, go on with a warning naming the sinks that did not',
      count,
      SINK_ACK_TIMEOUT_MS / 1000,
    )
    .action(runAction(async (configFile: string, options: { rate?: number; resume?: boolean; idsFile?: string; newVersion?: boolean; cleanup?: boolean; grace: number; ackTimeout: number }) => {
      handleInterrupts();
      const loaded = await loadIndex(configFile);
      const [{ runBackfill }, { backfillProgress }] = await Promise.all([import('../src/backfill/runBackfill.ts'), import('../src/backfill/backfillProgress.ts')]);
      const summary = await runBackfill(
        loaded,
        {
          ...(options.rate !== undefined ? { rate: options.rate } : {}),
          resume: options.resume === true,
          ...(options.idsFile ? { idsFile: options.idsFile } : {}),
          newVersion: options.newVersion === true,
          cleanup: options.cleanup === true,
          graceSeconds: options.grace,
          ackTimeoutMs: options.ackTimeout * 1000,
          signal: interruption,
        },
        backfillProgress(),
      );
      process.stderr.write(
        `backfill done: ${summary.done} entities in ${summary.seconds.toFixed(1)}s (${Math.round(summary.rate)}/s): ` +
          `${summary.written} written, ${summary.deleted} deleted, ${summary.failed} failed (in ${loaded.names.dlqTopic}); ` +
          `live index ${summary.liveIndex}\n`,
      );
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (summary.failed > 0) process.exitCode = 1;
    }));

  program
    .command('audit')
    .argument('<config>', 'index configuration file (YAML)')
    .description('compare the index with the graph: missing and extra ids, stale content; differences are checked again after a settle period, and only persistent ones (past the SLA) exit 1')
    .option('--full', 'compare the content of every document (default: a random sample)')
    .option('--sample <n>', 'documents to compare without --full', count, 200)
    .option('--show <n>', 'ids to print of each class', count, 10)
    .option('--settle <seconds>', 'wait before checking a difference again (default: audit.settleSeconds, 10)', seconds)
    .option('--sla <duration>', 'a difference younger than this is within the SLA, not a failure, e.g. 30s (default: audit.sla, 0)', durationArgument)
    .option('--repair', 're-enqueue every persistent difference, then check them again')
    .option('--ids-file <file>', "every id the graph has, one a line, instead of listing them with backfill.query")
    .option('--every <duration>', 'keep auditing on this schedule (e.g. 1h), with Prometheus metrics; Ctrl-C stops', durationArgument)
    .option('--metrics-port <port>', 'port of /metrics with --every (default: audit.metricsPort, else 9465 or any free port when taken)', (v) => Number(v))
    .option('--json', 'print one JSON line per run (for log pipelines) instead of the report')
    .addHelpText(
      'after',
      `
Classes: missing (in the graph, not the index), extra (in the index, not the graph), stale (content
differs). Each difference is settled (it agreed when checked again: a change in flight), within SLA
(still different, but younger than the SLA) or persistent (older: the audit fails).`,
    )
    .action(runAction(async (configFile: string, options: { full?: boolean; sample: number; show: number; settle?: number; sla?: number; repair?: boolean; idsFile?: string; every?: number; metricsPort?: number; json?: boolean }) => {
      const loaded = await loadIndex(configFile);
      const [{ auditEvery }, { auditFailed, auditJsonLine, formatAuditReport }, { runAudit }] = await Promise.all([
        import('../src/audit/auditEvery.ts'),
        import('../src/audit/auditReportOutput.ts'),
        import('../src/audit/runAudit.ts'),
      ]);
      const index = loaded.config.index;
      const auditOptions = {
        full: options.full === true,
        sample: options.sample,
        repair: options.repair === true,
        ...(options.idsFile !== undefined ? { idsFile: options.idsFile } : {}),
        ...(options.settle !== undefined ? { settleSeconds: options.settle } : {}),
        ...(options.sla !== undefined ? { slaSeconds: options.sla } : {}),
      };
      const print = (report: AuditReport): void =>
        void process.stdout.write(options.json ? auditJsonLine(index, report) : formatAuditReport(index, report, options.show, auditOptions.repair));
      if (options.every !== undefined) {
        handleInterrupts();
        await auditEvery(
          loaded,
          { ...auditOptions, everySeconds: options.every, metricsPort: options.metricsPort ?? loaded.config.audit.metricsPort, signal: interruption },
          print,
          say,
        );
        return;
      }
      const report = await runAudit(loaded, auditOptions);
      print(report);
      if (auditFailed(report, auditOptions.repair)) process.exitCode = 1;
    }));
}
