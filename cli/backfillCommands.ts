import { Command, InvalidArgumentError } from 'commander';
import { runAudit } from '../src/audit/runAudit.ts';
import { backfillProgress } from '../src/backfill/backfillProgress.ts';
import { SINK_ACK_TIMEOUT_MS } from '../src/backfill/reindex.ts';
import { runBackfill } from '../src/backfill/runBackfill.ts';
import { loadIndex } from '../src/index/loadIndex.ts';
import { handleInterrupts, interruption } from '../src/interruption.ts';
import { runAction } from './runAction.ts';

function rateOption(text: string): number {
  if (text === 'none' || text === 'uncapped') return Number.POSITIVE_INFINITY;
  const value = Number(text);
  if (!(value > 0)) throw new InvalidArgumentError('expected entities per second (> 0), or "none"');
  return value;
}

function count(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError('expected a whole number');
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
    .option('--new-version', 'build <index>_v<N+1> from the current template, write live updates to both, then swap the alias')
    .addHelpText('after', '\nCtrl-C (or SIGTERM) finishes the page in flight, saves the checkpoint and exits 0; --resume continues. A second Ctrl-C stops at once.')
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
          `${summary.written} written, ${summary.deleted} deleted, ${summary.failed} failed (in ${loaded.config.index}.dlq); ` +
          `live index ${summary.liveIndex}\n`,
      );
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (summary.failed > 0) process.exitCode = 1;
    }));

  program
    .command('audit')
    .argument('<config>', 'index configuration file (YAML)')
    .description('compare the index with the graph: missing and extra ids, stale content; exits 1 when they differ')
    .option('--full', 'compare the content of every document (default: a random sample)')
    .option('--sample <n>', 'documents to compare without --full', count, 200)
    .option('--show <n>', 'ids to print of each class', count, 10)
    .option('--repair', 're-enqueue every id that differs, then check them again')
    .action(runAction(async (configFile: string, options: { full?: boolean; sample: number; show: number; repair?: boolean }) => {
      const loaded = await loadIndex(configFile);
      const report = await runAudit(loaded, { full: options.full === true, sample: options.sample, repair: options.repair === true });
      const list = (ids: string[]): string => (ids.length === 0 ? '' : `: ${ids.slice(0, options.show).join(', ')}${ids.length > options.show ? ', …' : ''}`);
      const lines = [
        `${loaded.config.index}: ${report.graph} in the graph, ${report.indexed} in the index`,
        `  missing ${report.missing.length}${list(report.missing)}`,
        `  extra   ${report.extra.length}${list(report.extra)}`,
        `  stale   ${report.stale.length} of ${report.compared} compared${list(report.stale)}`,
      ];
      if (options.repair) lines.push(`  repaired ${report.repaired}; still different ${report.stillDifferent.length}${list(report.stillDifferent)}`);
      process.stdout.write(`${lines.join('\n')}\n`);
      const different = options.repair ? report.stillDifferent.length : report.missing.length + report.extra.length + report.stale.length;
      if (different > 0) process.exitCode = 1;
    }));
}
