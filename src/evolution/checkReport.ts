import { CLASSIFICATIONS, type Classification, type IndexVerdict } from './classifyIndex.ts';

/** What `fedsearch check` found for every index config, and whether CI should fail. */
export interface CheckReport {
  /** The change checked, as given (`talent=talent.graphql`, or the proposed supergraph file). */
  proposed: string;
  indexes: IndexVerdict[];
  /**
   * Configs that do not validate against the current graph, with their problems: nothing to say
   * about the change for them, and not this change's fault, so they do not fail the check.
   */
  skipped: SkippedConfig[];
  summary: Record<Classification, number>;
  /** The mildest classification that fails the check (`breaks`, or `needs-reindex` when asked). */
  failOn: Classification;
  failed: boolean;
}

export interface SkippedConfig {
  configFile: string;
  /**
   * `invalid`: it does not validate against its current graph; `not-on-this-graph`: its supergraph
   * has none of the subgraphs given with --subgraph (a directory holding several graphs' configs).
   */
  why: 'invalid' | 'not-on-this-graph';
  problems: string[];
}

export function checkReport(proposed: string, indexes: IndexVerdict[], failOn: Classification = 'breaks', skipped: SkippedConfig[] = []): CheckReport {
  const summary = Object.fromEntries(CLASSIFICATIONS.map((classification) => [classification, 0])) as Record<Classification, number>;
  for (const verdict of indexes) summary[verdict.classification] += 1;
  const threshold = CLASSIFICATIONS.indexOf(failOn);
  return { proposed, indexes, skipped, summary, failOn, failed: indexes.some((verdict) => CLASSIFICATIONS.indexOf(verdict.classification) >= threshold) };
}

const HEADLINE: Readonly<Record<Classification, string>> = {
  unaffected: 'unaffected',
  compatible: 'compatible (nothing its documents hold changes)',
  'needs-reindex': 'needs reindex',
  breaks: 'breaks',
};

/** The report as a person reads it in a CI log: each index, then each problem at file:line:col. */
export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [`checking ${report.proposed} against ${report.indexes.length} index config${report.indexes.length === 1 ? '' : 's'}`];
  for (const verdict of report.indexes) {
    lines.push(`${verdict.index} (${verdict.configFile}): ${HEADLINE[verdict.classification]}`);
    for (const problem of verdict.problems) {
      const owner = problem.field === null ? '' : `${problem.field}${problem.subgraph === null ? '' : ` (subgraph ${problem.subgraph})`}: `;
      lines.push(`  ${problem.file}:${problem.line}:${problem.col}: ${owner}${problem.message}`);
    }
    for (const change of verdict.changes) lines.push(`  ${change.path} (${change.field}): ${change.change}`);
    for (const reason of verdict.reasons) lines.push(`  ${reason}`);
    if (verdict.classification === 'needs-reindex') lines.push(...nextSteps(verdict));
    for (const warning of verdict.warnings) lines.push(`  warning: ${verdict.index}: ${warning}`);
  }
  for (const config of report.skipped) {
    lines.push(
      config.why === 'not-on-this-graph'
        ? `${config.configFile}: skipped, not on this graph (the change is to subgraphs its supergraph does not have):`
        : `${config.configFile}: skipped, it does not validate against the current graph (fix it first; \`fedsearch validate\` says the same):`,
    );
    lines.push(...config.problems.map((problem) => `  ${problem}`));
  }
  const counts = (['breaks', 'needs-reindex', 'compatible', 'unaffected'] as const).map((classification) => `${report.summary[classification]} ${HEADLINE[classification].split(' (')[0]}`);
  const skipped = report.skipped.length > 0 ? `, ${report.skipped.length} skipped` : '';
  lines.push(`${counts.join(', ')}${skipped}${report.failed ? ` — failing (--fail-on ${report.failOn})` : ''}`);
  return lines.join('\n');
}

/** What the index's owner does before or when the change ships. */
function nextSteps(verdict: IndexVerdict): string[] {
  const lines: string[] = [];
  if (verdict.avro?.readerCanRead === false) {
    lines.push(`  Avro: the provisioned reader cannot read the new writer (${verdict.avro.reason}): the running pipeline writes with the provisioned schema, which cannot hold the new values`);
  } else if (verdict.avro?.readerCanRead === true) {
    lines.push('  Avro: the provisioned reader can still read the new writer');
  }
  if (verdict.mappingIncompatible.length > 0) {
    lines.push(`  mapping: the live index cannot take ${verdict.mappingIncompatible.join('; ')}`);
    lines.push(`  next: \`fedsearch backfill ${verdict.configFile} --new-version\` builds a new version and swaps the alias`);
  } else {
    lines.push(`  mapping: the live index takes it in place; next: \`fedsearch provision ${verdict.configFile}\` when the change ships (records the new Avro schema version)`);
  }
  return lines;
}
