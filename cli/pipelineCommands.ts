import { statSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { handleInterrupts, interruption, stopWithin, untilInterrupted } from '../src/interruption.ts';
import type { RunningIndexes } from '../src/pipeline/runIndexes.ts';
import type { PipelineStage } from '../src/pipeline/runPipeline.ts';
import { durationSeconds } from '../src/duration.ts';
import { durationArgument } from './durationArgument.ts';
import { loadIndex } from './loadIndexLazily.ts';
import { runAction } from './runAction.ts';

const say = (message: string): void => void process.stderr.write(`${message}\n`);

/** `2026-11-01T10:00:00Z`, or a duration back from now: `90s`, `15m`, `2h`, `1d`. */
export function parseSince(text: string): Date {
  const seconds = durationSeconds(text);
  if (seconds !== null) return new Date(Date.now() - seconds * 1000);
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an ISO time (2026-11-01T10:00:00Z) or a duration (15m, 2h, 1d)');
  return date;
}

export function addPipelineCommands(program: Command): void {
  program
    .command('run')
    .argument('<config...>', 'index configuration file(s) (YAML), or directories of them (every .yaml/.yml in each)')
    .description('run the streaming indexer: change events → reverse lookups → gateway → documents topic → Elasticsearch; many indexes in one process')
    .addOption(new Option('--stage <stage>', 'which stage(s) this process runs').choices(['enrich', 'sink', 'all']).default('all'))
    .option('--metrics-port <port>', 'port of /metrics and /healthz (default: pipeline.metricsPort of a single config, else 9464 or any free port when another process has it)', (v) => Number(v))
    .addOption(new Option('--stop-timeout <duration>', 'how long a clean stop may take before the process exits anyway (code 2)').argParser(durationArgument).default(30, '30s'))
    .addHelpText(
      'after',
      '\nSIGTERM or Ctrl-C drains the batch in flight, commits, and exits 0; a second Ctrl-C stops at once.\n' +
        'A drain that takes longer than --stop-timeout (a service stopped answering) exits 2; nothing is lost:\n' +
        'what was not committed is read again at the next start.\n' +
        'With a directory or several configs, one process runs every index: one failing index stops alone\n' +
        '(/healthz names it), and SIGHUP re-reads the configs (a changed one is validated first; added ones\n' +
        'start, removed ones stop).',
    )
    .action(runAction(async (configs: string[], options: { stage: PipelineStage; metricsPort?: number; stopTimeout: number }) => {
      handleInterrupts();
      if (configs.length > 1 || isDirectory(configs[0] as string)) {
        const { runIndexes } = await import('../src/pipeline/runIndexes.ts');
        let running: RunningIndexes | undefined;
        let reloadWhenStarted = false;
        // Listened to from before the first index starts, and still while stopping: without a
        // listener Node's default for SIGHUP ends the process at once, without a drain.
        // One reload at a time: a second SIGHUP during one waits for it (the fleet runs its changes in order).
        process.on('SIGHUP', () => {
          if (interruption.aborted) return say('SIGHUP: stopping; the configs are not re-read');
          if (!running) {
            reloadWhenStarted = true;
            return say('SIGHUP: the indexes are still starting; the configs are re-read once they have');
          }
          say('SIGHUP: re-reading the configs…');
          void running.reload();
        });
        running = await runIndexes(configs, { ...options, interrupted: interruption }, say);
        if (reloadWhenStarted && !interruption.aborted) {
          say('re-reading the configs (a SIGHUP came while the indexes were starting)…');
          void running.reload();
        }
        await untilInterrupted();
        say('draining…');
        await stopWithin(running.stop(), options.stopTimeout, 'the indexes');
        return;
      }
      const configFile = configs[0] as string;
      const { runPipeline } = await import('../src/pipeline/runPipeline.ts');
      const { loadIndexForRun } = await import('../src/pipeline/loadIndexForRun.ts');
      const loaded = await loadIndexForRun(configFile, say);
      const pipeline = await runPipeline(loaded, { stage: options.stage, ...(options.metricsPort !== undefined ? { metricsPort: options.metricsPort } : {}) });
      say(`${loaded.config.index}: pipeline (${options.stage}) running; metrics ${pipeline.metricsUrl}/metrics, health ${pipeline.metricsUrl}/healthz`);
      await untilInterrupted();
      say('draining…');
      await stopWithin(pipeline.stop(), options.stopTimeout, `${loaded.config.index}: the pipeline`);
    }));

  program
    .command('replay')
    .argument('<config>', 'index configuration file (YAML)')
    .description('re-handle the dead-letter topic once the cause is fixed; reports how many succeeded')
    .option('--since <time>', 'replay letters from this time on (ISO time or 15m, 2h, 1d), even ones replayed before', parseSince)
    .action(runAction(async (configFile: string, options: { since?: Date }) => {
      const { replayDeadLetters } = await import('../src/pipeline/replayDeadLetters.ts');
      const loaded = await loadIndex(configFile);
      const outcome = await replayDeadLetters(loaded, options.since ? { since: options.since } : {}, say);
      process.stdout.write(`${JSON.stringify(outcome)}\n`);
      if (outcome.failedAgain > 0) process.exitCode = 1;
    }));

  program
    .command('dlq')
    .argument('<config>', 'index configuration file (YAML)')
    .description('summarise the dead-letter topic: per subgraph and reason, how many letters, first and last seen, a few example ids')
    .option('--all', 'every letter the topic holds, also those `replay` has handled already')
    .option('--json', 'the summary as one JSON object')
    .action(runAction(async (configFile: string, options: { all?: boolean; json?: boolean }) => {
      const [{ summarizeDeadLetters }, { formatLetterSummary }] = await Promise.all([
        import('../src/pipeline/summarizeDeadLetters.ts'),
        import('../src/pipeline/deadLetterSummary.ts'),
      ]);
      const summary = await summarizeDeadLetters(await loadIndex(configFile), { all: options.all === true });
      process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : formatLetterSummary(summary));
    }));
}

/** A directory given to `run` means every config in it (a file that cannot be read is reported by the single-index path, as before). */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
