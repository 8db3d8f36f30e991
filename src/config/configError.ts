import { UserError } from '../errors.ts';
import { withHiddenValues } from '../hiddenValues.ts';
import type { SourcePosition } from './indexConfig.ts';

/** One problem in a configuration file, located precisely enough for an editor to jump to it. */
export interface ConfigProblem {
  file: string;
  position: SourcePosition;
  /** Dotted path of the field ("primary.events[0].topic"), or "" for the whole file. */
  field: string;
  message: string;
}

/**
 * `file:line:col: field: message`. A problem found after the config was read (in the query, a
 * lookup, `display`) may quote a value that came from a `${VAR}`; it is hidden here, whoever wrote
 * the message.
 */
export function formatProblem(problem: ConfigProblem): string {
  const where = `${problem.file}:${problem.position.line}:${problem.position.col}`;
  const message = withHiddenValues(problem.message);
  return problem.field ? `${where}: ${problem.field}: ${message}` : `${where}: ${message}`;
}

/** Every problem found in one configuration file, reported together. */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';

  constructor(readonly problems: ConfigProblem[]) {
    const sorted = [...problems].sort((a, b) => a.position.line - b.position.line || a.position.col - b.position.col);
    super(
      `${sorted.length} problem${sorted.length === 1 ? '' : 's'} in ${sorted[0]?.file ?? 'configuration'}:\n` +
        sorted.map((problem) => `  ${formatProblem(problem)}`).join('\n'),
    );
    this.problems = sorted;
  }
}
