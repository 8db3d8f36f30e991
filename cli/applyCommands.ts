import type { Command } from 'commander';
import { asInfrastructureError, InfrastructureError } from '../src/errors.ts';
import { handleInterrupts, interruption } from '../src/interruption.ts';
import { count } from './countArgument.ts';
import { runAction } from './runAction.ts';

export function addApplyCommand(program: Command): void {
  program
    .command('apply')
    .argument('<configs...>', 'index configuration files (YAML), or directories of them (every *.yaml / *.yml)')
    .description(
      'reconcile what is provisioned with a directory of configs: new indexes provisioned and backfilled, changed ones ' +
        'reindexed with zero downtime, unchanged ones left alone; prints the plan first, one line per index',
    )
    .option('--dry-run', 'print the plan and change nothing; exit 2 when there are changes to make, 0 when none (for CI)')
    .option('--prune', 'delete managed indexes whose config is gone (without it they are listed as would-delete)')
    .option('--grace <seconds>', 'after a reindex swaps the alias, keep the old version this long before deleting it', count, 30)
    .option('--schema <file>', 'read the graph schema from this SDL file (a composed supergraph works) instead of introspecting each gateway')
    .option('--create-source-topics', 'also create missing change-event topics (for local use; in production their owners do)')
    .addHelpText(
      'after',
      `
Actions, one line per index with its reason:
  create        no metadata record: provision, then backfill (under backfill.rate)
  reindex       the query changed since the live version was filled, or the mapping or analyzers did:
                a new version is backfilled under backfill.rate while live updates go to both, then
                the alias swaps and the old version is deleted after --grace; also a reindex that
                stopped before its swap (resumed, or built again if the config changed since)
  backfill      provisioned but never fully backfilled: fill the live version in place
  update        provisioning steps only (topics, template settings, an Avro version the mapping takes),
                or the config moved: it is recorded as the index's (its old directory no longer prunes it)
  unchanged     nothing to do
  would-delete  a managed index whose config is gone (--prune deletes it)
  delete        with --prune: its versions, template, topics, consumer groups and records

Managed: an index is apply's to delete when its metadata record (fedsearch-meta) names a config file
directly in one of the directories given and no config applied now names the index. With --prune, a
directory whose last config was removed is applied too, given a config of its cluster alongside.
Every config is checked first: one invalid file stops apply before anything changes, naming
file:line:col.

Exit codes: 0 done (or --dry-run with nothing to change), 1 a problem in a config, 2 a service
failing, or --dry-run with changes to make: the plan is printed then (ending "plan: ..."); when a
service fails, no plan is printed and stderr says "no plan was made". Ctrl-C (or SIGTERM)
finishes the backfill page in flight and stops with exit 130 (143); the next apply resumes it.`,
    )
    .action(
      runAction(async (configs: string[], options: { dryRun?: boolean; prune?: boolean; grace: number; schema?: string; createSourceTopics?: boolean }) => {
        handleInterrupts();
        const [{ runApply }, { backfillProgress }] = await Promise.all([import('../src/apply/runApply.ts'), import('../src/backfill/backfillProgress.ts')]);
        const outcome = await runApply(
          configs,
          {
            dryRun: options.dryRun === true,
            prune: options.prune === true,
            graceSeconds: options.grace,
            createSourceTopics: options.createSourceTopics === true,
            ...(options.schema === undefined ? {} : { schemaFile: options.schema }),
            signal: interruption,
          },
          { print: (line) => void process.stdout.write(`${line}\n`), progress: () => backfillProgress() },
        ).catch((error: unknown) => {
          // Exit 2 is both "changes to make" and "a service failing" under --dry-run: said in words.
          const cause = asInfrastructureError(error, 'planning');
          if (options.dryRun && cause instanceof InfrastructureError) {
            throw new InfrastructureError(`no plan was made (exit 2 here is a service failing, not changes to make): ${cause.message}`, { cause });
          }
          throw cause;
        });
        if (options.dryRun && outcome.changes) process.exitCode = 2;
      }),
    );
}
