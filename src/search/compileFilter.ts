import type { estypes } from '@elastic/elasticsearch';
import type { DocumentField } from '../index/documentFields.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';
import type { FilterNode, Literal } from './filterAst.ts';
import { FilterError } from './filterError.ts';
import { FILTER_LIMITS, parseFilter, TOO_DEEP } from './parseFilter.ts';

export { FilterError } from './filterError.ts';
export { parseFilter } from './parseFilter.ts';

type Query = estypes.QueryDslQueryContainer;
type Leaf = Extract<FilterNode, { path: string }>;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMERIC = new Set(['integer', 'long', 'double']);
/**
 * The integers an integer field can be compared with exactly: a 32-bit `integer`'s range (outside
 * it Elasticsearch answers a vague 400), and for a `long` the integers a double holds exactly.
 */
const INTEGER_RANGE: Partial<Record<DocumentField['esType'], { min: number; max: number; says: string }>> = {
  integer: { min: -(2 ** 31), max: 2 ** 31 - 1, says: 'a 32-bit integer: from -2147483648 to 2147483647' },
  long: { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, says: 'an integer, compared exactly up to ±9007199254740991 (2^53 - 1)' },
};
/** Leaves on different nested paths (or some on none). */
const MIXED = Symbol('mixed');

/**
 * A filter in the DSL → an Elasticsearch query, checked against the index's fields: unknown
 * fields (with a did-you-mean), operators a field's type cannot take, and literals of the wrong
 * type are FilterErrors with their column. Only term, terms, range, match, exists, bool and
 * nested queries come out: nothing a user types reaches a script or raw query JSON.
 *
 * Nested fields: conditions on one nested path inside one parenthesised group must hold for the
 * same element — `(cast.talent.name == "X" AND cast.role == "ACTOR")` is one nested query. Outside
 * parentheses each nested condition is its own nested query (any element may satisfy it).
 *
 * The query it makes nests at most FILTER_LIMITS.maxDepth query objects deep (Elasticsearch's
 * limit); deeper is a FilterError at the NOT, operator or condition that goes past it.
 */
export function compileFilter(text: string, fields: readonly DocumentField[]): Query {
  const tree = parseFilter(text);
  const byPath = new Map(fields.map((field) => [field.path, field]));
  const resolve = (leaf: Leaf): DocumentField => {
    const field = byPath.get(leaf.path);
    if (!field) {
      const [suggestion] = suggestionList(leaf.path, fields.filter((f) => f.indexed).map((f) => f.path));
      throw new FilterError(
        `unknown field ${leaf.path}${didYouMean(suggestion === undefined ? [] : [suggestion])}`,
        leaf.column,
        leaf.length,
        suggestion,
      );
    }
    if (!field.indexed) throw new FilterError(`${leaf.path} is not indexed (excluded in the config), so it cannot be filtered on`, leaf.column, leaf.length);
    if (field.nestedPaths.length > 1) {
      throw new FilterError(`${leaf.path} is inside nested objects within nested objects, which filters do not support yet`, leaf.column, leaf.length);
    }
    return field;
  };
  const nestedPathOf = (node: FilterNode): string | null | typeof MIXED => {
    switch (node.kind) {
      case 'and':
      case 'or': {
        const left = nestedPathOf(node.left);
        const right = nestedPathOf(node.right);
        return left === right ? left : MIXED;
      }
      case 'not':
        return nestedPathOf(node.operand);
      case 'group':
        return nestedPathOf(node.inner);
      default:
        return resolve(node).nestedPath;
    }
  };

  /** The filter node each query object was compiled from, to say where a query nests too deep. */
  const origins = new Map<Query, FilterNode>();
  const compile = (node: FilterNode, insideNested: string | null, grouped: boolean): Query => {
    const query = compileNode(node, insideNested, grouped);
    if (!origins.has(query)) origins.set(query, node);
    return query;
  };
  const compileNode = (node: FilterNode, insideNested: string | null, grouped: boolean): Query => {
    switch (node.kind) {
      case 'group':
        return compile(node.inner, insideNested, true);
      case 'not':
        return { bool: { must_not: [compile(node.operand, insideNested, grouped)] } };
      case 'and':
      case 'or': {
        const parts = chain(node, node.kind);
        if (grouped && insideNested === null) {
          const shared = nestedPathOf(node);
          if (typeof shared === 'string') return nested(shared, combine(node.kind, parts.map((p) => compile(p, shared, grouped))));
          if (node.kind === 'and') {
            // Group the conjuncts on one nested path into one nested query; the rest stay as they are.
            const buckets = new Map<string, FilterNode[]>();
            const others: Query[] = [];
            for (const part of parts) {
              const path = nestedPathOf(part);
              if (typeof path === 'string') buckets.set(path, [...(buckets.get(path) ?? []), part]);
              else others.push(compile(part, null, grouped));
            }
            const nestedGroups = [...buckets].map(([path, members]) => nested(path, combine('and', members.map((m) => compile(m, path, grouped)))));
            return combine('and', [...nestedGroups, ...others]);
          }
        }
        return combine(node.kind, parts.map((p) => compile(p, insideNested, grouped)));
      }
      default: {
        const field = resolve(node);
        const query = leafQuery(node, field);
        return field.nestedPath && field.nestedPath !== insideNested ? nested(field.nestedPath, query) : query;
      }
    }
  };
  const query = compile(tree, null, false);
  checkDepth(query, origins, tree);
  return query;
}

/** A FilterError at the filter node whose query object is the first past FILTER_LIMITS.maxDepth. */
function checkDepth(query: Query, origins: ReadonlyMap<Query, FilterNode>, from: FilterNode, level = 1): void {
  const node = origins.get(query) ?? from;
  if (level > FILTER_LIMITS.maxDepth) throw new FilterError(TOO_DEEP, node.column, spanOf(node));
  for (const child of childQueries(query)) checkDepth(child, origins, node, level + 1);
}

/** The queries a compiled filter's bool or nested query holds (the only containers compileFilter makes). */
function childQueries(query: Query): Query[] {
  // estypes' ExactlyOne<…> hides which member a container has; these two are all this file makes.
  const { bool, nested } = query as { bool?: estypes.QueryDslBoolQuery; nested?: estypes.QueryDslNestedQuery };
  if (nested) return [nested.query];
  if (!bool) return [];
  return [bool.must, bool.filter, bool.should, bool.must_not].flatMap((clauses): Query[] => (clauses === undefined ? [] : Array.isArray(clauses) ? clauses : [clauses]));
}

/** Characters a node's own token takes: a condition's field name, or its keyword. */
function spanOf(node: FilterNode): number {
  if ('length' in node) return node.length;
  return { not: 3, and: 3, or: 2, group: 1 }[node.kind];
}

function chain(node: FilterNode, kind: 'and' | 'or'): FilterNode[] {
  return node.kind === kind ? [...chain(node.left, kind), ...chain(node.right, kind)] : [node];
}

function combine(kind: 'and' | 'or', queries: Query[]): Query {
  if (queries.length === 1) return queries[0] as Query;
  return kind === 'and' ? { bool: { filter: queries } } : { bool: { should: queries, minimum_should_match: 1 } };
}

function nested(path: string, query: Query): Query {
  return { nested: { path, query } };
}

function leafQuery(leaf: Leaf, field: DocumentField): Query {
  switch (leaf.kind) {
    case 'exists':
      return leaf.negated ? { bool: { must_not: [{ exists: { field: field.path } }] } } : { exists: { field: field.path } };
    case 'contains': {
      if (!field.textField) throw new FilterError(`${leaf.path} has no full-text form; use == or IN`, leaf.column, leaf.length);
      const text = expect(leaf.value, 'string', leaf, field) as string;
      return { match: { [field.textField]: { query: text, operator: 'and' } } };
    }
    case 'in': {
      const values = leaf.values.map((value) => exactValue(value, leaf, field));
      return { terms: { [exactFieldOf(leaf, field)]: values } };
    }
    case 'compare': {
      if (leaf.op === '==' || leaf.op === '!=') {
        const term: Query = { term: { [exactFieldOf(leaf, field)]: exactValue(leaf.value, leaf, field) } };
        return leaf.op === '==' ? term : { bool: { must_not: [term] } };
      }
      if (!NUMERIC.has(field.esType) && field.esType !== 'date') {
        throw new FilterError(`${leaf.op} compares numbers and dates; ${leaf.path} is ${describe(field)}`, leaf.column, leaf.length);
      }
      const bound = { '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' }[leaf.op];
      return { range: { [field.path]: { [bound]: exactValue(leaf.value, leaf, field) } } };
    }
  }
}

function exactFieldOf(leaf: Leaf, field: DocumentField): string {
  if (!field.exactField) throw new FilterError(`${leaf.path} has no exact form; use CONTAINS`, leaf.column, leaf.length);
  return field.exactField;
}

/** The literal as the field stores it, or a FilterError saying what the field takes. */
function exactValue(literal: Literal, leaf: Leaf, field: DocumentField): string | number | boolean {
  if (NUMERIC.has(field.esType)) {
    const value = expect(literal, 'number', leaf, field) as number;
    const range = INTEGER_RANGE[field.esType];
    if (range && (value < range.min || value > range.max)) {
      throw new FilterError(`${leaf.path} is ${range.says}; ${String(literal.value)} is outside that`, literal.column, literal.length);
    }
    return value;
  }
  if (field.esType === 'boolean') return expect(literal, 'boolean', leaf, field);
  const text = expect(literal, 'string', leaf, field) as string;
  if (field.esType === 'date' && !ISO_DATE.test(text)) {
    throw new FilterError(`${leaf.path} is a date: write it as "2026-01-31" or "2026-01-31T12:00:00Z"`, literal.column, literal.length);
  }
  if (field.enumValues && !field.enumValues.includes(text)) {
    throw new FilterError(`${leaf.path} is one of ${field.enumValues.join(', ')}; not "${text}"`, literal.column, literal.length);
  }
  return text;
}

function expect(literal: Literal, type: Literal['type'], leaf: Leaf, field: DocumentField): string | number | boolean {
  if (literal.type !== type) {
    throw new FilterError(`${leaf.path} is ${describe(field)}; expected a ${type}, not ${JSON.stringify(literal.value)}`, literal.column, literal.length);
  }
  return literal.value;
}

function describe(field: DocumentField): string {
  if (field.enumValues) return `an enum (${field.graphqlType})`;
  if (NUMERIC.has(field.esType)) return 'a number';
  if (field.esType === 'date') return 'a date';
  if (field.esType === 'boolean') return 'a boolean';
  return 'a string';
}
