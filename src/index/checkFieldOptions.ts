import type { FieldOptions } from '../config/indexConfig.ts';
import { UserError } from '../errors.ts';
import type { DocumentShape, ShapeNode } from './documentShape.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';
import { hasTextForm } from './leafMapping.ts';

const LEAF_ONLY_OPTIONS = ['text', 'keyword', 'facet', 'suggest', 'sortable', 'analyzer'] as const;
const STRING_STORAGES = new Set(['string', 'text', 'keyword']);

/** One problem with a `fields:` entry: the path is unknown, or an option cannot apply to it. */
export interface FieldOptionProblem {
  path: string;
  kind: 'unknown' | 'misapplied';
  message: string;
  /** For an unknown path: ` (did you mean …?)`, or '' when nothing is close. */
  hint: string;
}

/**
 * Every problem with the `fields:` options: paths the query's document does not have (with
 * did-you-mean suggestions) and options that cannot apply to the field they name. Silently
 * ignoring either would build an index that does not do what the config says.
 */
export function fieldOptionProblems(shape: DocumentShape, fields: Record<string, FieldOptions>): FieldOptionProblem[] {
  const nodesByPath = new Map<string, ShapeNode>();
  const collect = (node: ShapeNode): void => {
    nodesByPath.set(node.path, node);
    if (node.kind !== 'scalar' && node.kind !== 'enum') node.fields.forEach(collect);
  };
  shape.root.fields.forEach(collect);
  const knownPaths = [...nodesByPath.keys()];

  const problems: FieldOptionProblem[] = [];
  for (const [path, options] of Object.entries(fields)) {
    const node = nodesByPath.get(path);
    if (node === undefined) {
      const hint = didYouMean(closePaths(path, knownPaths).map((suggestion) => `\`${suggestion}\``), 5);
      problems.push({ path, kind: 'unknown', message: `not in the query's document${hint}`, hint });
      continue;
    }
    for (const message of problemsWith(node, options)) problems.push({ path, kind: 'misapplied', message, hint: '' });
    const excludedAncestor = ancestorsOf(path).find((ancestor) => fields[ancestor]?.excluded === true);
    if (excludedAncestor !== undefined) {
      problems.push({
        path,
        kind: 'misapplied',
        message: `is inside \`${excludedAncestor}\`, which is excluded, so it cannot be indexed either`,
        hint: '',
      });
    }
  }
  return problems;
}

/** Every problem fieldOptionProblems found, as one UserError (the config loader places each). */
export class FieldOptionsError extends UserError {
  override readonly name = 'FieldOptionsError';

  constructor(readonly problems: FieldOptionProblem[]) {
    const unknown = problems.filter((p) => p.kind === 'unknown').map((p) => `  ${p.path}${p.hint}`);
    const misapplied = problems.filter((p) => p.kind === 'misapplied').map((p) => `  ${p.path}: ${p.message}`);
    const sections: string[] = [];
    if (unknown.length > 0) {
      sections.push(
        `Unknown field path${unknown.length > 1 ? 's' : ''} under \`fields:\` (not in the query's document):\n${unknown.join('\n')}`,
      );
    }
    if (misapplied.length > 0) sections.push(`Field options that cannot apply:\n${misapplied.join('\n')}`);
    super(sections.join('\n'));
  }
}

/**
 * Compared whole, paths that share a parent all look alike (`director.nme` is as close to
 * `director.born` as to `director.name`), so a typo is first looked for among its siblings.
 */
function closePaths(path: string, knownPaths: string[]): string[] {
  const keys = path.split('.');
  const lastKey = keys.at(-1) ?? path;
  const parent = keys.slice(0, -1).join('.');
  const parentKnown = parent === '' || knownPaths.includes(parent);
  if (parentKnown) {
    const prefix = parent === '' ? '' : `${parent}.`;
    const siblings = knownPaths.filter((known) => known.startsWith(prefix) && !known.slice(prefix.length).includes('.'));
    const typos = suggestionList(lastKey, siblings.map((sibling) => sibling.slice(prefix.length)));
    if (typos.length > 0) return typos.map((key) => `${prefix}${key}`);
    // `cast.name` for `cast.talent.name`: the same field at another depth is the likely intent.
    const deeper = knownPaths.filter((known) => known.startsWith(prefix) && known.endsWith(`.${lastKey}`));
    if (deeper.length > 0) return deeper;
  }
  // Whole paths within a few edits are many (siblings differ in one key); the closest is the one.
  return suggestionList(path, knownPaths).slice(0, 1);
}

function ancestorsOf(path: string): string[] {
  const keys = path.split('.');
  return keys.slice(0, -1).map((_, index) => keys.slice(0, index + 1).join('.'));
}

function problemsWith(node: ShapeNode, options: FieldOptions): string[] {
  const problems: string[] = [];
  const set = (Object.keys(options) as (keyof FieldOptions)[]).filter((option) => options[option] !== undefined);

  if (node.kind !== 'scalar' && node.kind !== 'enum') {
    const leafOnly = LEAF_ONLY_OPTIONS.filter((option) => options[option] !== undefined);
    if (leafOnly.length > 0) {
      const them = leafOnly.length > 1 ? 'them' : 'it';
      problems.push(`${leafOnly.join(', ')} appl${leafOnly.length > 1 ? 'y' : 'ies'} to leaf fields, and this is an object (${node.typeName}): set ${them} on its fields`);
    }
    if (options.nested === true && options.excluded === true) {
      problems.push('nested and excluded together: an excluded object is not indexed at all');
    }
    return problems;
  }

  if (options.nested !== undefined) problems.push(`nested applies to objects; this field's type is ${node.typeName}`);
  if (options.excluded === true) {
    const conflicting = set.filter((option) => option !== 'excluded' && option !== 'nested' && options[option] !== false);
    if (conflicting.length > 0) problems.push(`excluded fields are not indexed, so ${conflicting.join(', ')} cannot apply`);
    return problems;
  }

  const isString = STRING_STORAGES.has(node.storage);
  const stringOnly = (['text', 'suggest', 'analyzer'] as const).filter((option) => options[option] !== undefined && options[option] !== false);
  if (!isString && stringOnly.length > 0) {
    problems.push(`${stringOnly.join(', ')} appl${stringOnly.length > 1 ? 'y' : 'ies'} to strings; this field's type is ${node.typeName} (stored as ${node.storage})`);
  }
  if (!isString && options.keyword === true) {
    problems.push(`keyword applies to strings; this field's type is ${node.typeName} (stored as ${node.storage})`);
  }
  if (options.keyword === false && (options.facet === true || options.sortable === true)) {
    problems.push('facet and sortable need the keyword form, but keyword is false');
  }
  if (options.text === false && options.keyword === false) {
    problems.push('neither text nor keyword: nothing would be indexed; use `excluded: true` to keep it out of the index');
  }
  if (isString && options.analyzer !== undefined && !hasTextForm(node.storage, options) && options.suggest !== true) {
    problems.push('analyzer applies to the text form, which this field does not have (set `text: true`)');
  }
  return problems;
}
