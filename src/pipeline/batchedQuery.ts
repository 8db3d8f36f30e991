import {
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import type { QueryTemplate } from '../graph/validateQueryTemplate.ts';

/** The query template turned into one operation that fetches `count` entities at once. */
export interface BatchedQuery {
  readonly count: number;
  readonly document: DocumentNode;
  /** The printed document, as sent to the gateway (`document` is parsed from it). */
  readonly text: string;
  /** The variable (without `$`) that receives the i-th id. */
  variableName(index: number): string;
  /** The alias under which the i-th entity comes back in `data`. */
  responseKey(index: number): string;
  /** The request variables binding `ids[i]` to `variableName(i)` (numbers for an `Int!` id). */
  variables(ids: readonly string[]): Record<string, string | number>;
}

/** GraphQL's Int is a signed 32-bit integer. */
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** Why `id` cannot be sent as the template's id variable, or null when it can. */
export function idProblem(template: Pick<QueryTemplate, 'idKind' | 'idVariable'>, id: string): string | null {
  if (template.idKind !== 'int') return null;
  const value = /^-?\d{1,10}$/.test(id) ? Number(id) : Number.NaN;
  return Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX ? null : `the id ${JSON.stringify(id.slice(0, 40))} is not an Int, which $${template.idVariable} takes`;
}

const variableName = (index: number): string => `id${index}`;
const responseKey = (index: number): string => `e${index}`;

// Batches come in a handful of sizes (full chunks, a remainder, retried stragglers), so each
// template keeps its batched forms by size; a WeakMap lets a reloaded template drop its own.
const cache = new WeakMap<QueryTemplate, Map<number, BatchedQuery>>();

/**
 * One operation fetching `count` entities: the template's root field repeated as `e0…e{n-1}`,
 * each with its own id variable (`$id0…`) of the template's id type, named fragments kept once,
 * the operation named `<Name>Batch`. Fragments that use the id variable are inlined, since one
 * shared fragment cannot carry a different id per alias.
 */
export function batchedQuery(template: QueryTemplate, count: number): BatchedQuery {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`a batch holds at least one entity, not ${count}`);
  let bySize = cache.get(template);
  if (!bySize) {
    bySize = new Map();
    cache.set(template, bySize);
  }
  let batched = bySize.get(count);
  if (!batched) {
    batched = buildBatchedQuery(template, count);
    bySize.set(count, batched);
  }
  return batched;
}

function buildBatchedQuery(template: QueryTemplate, count: number): BatchedQuery {
  const { operation, idVariable } = template;
  const rootField = operation.selectionSet.selections[0];
  const idDefinition = operation.variableDefinitions?.find((d) => d.variable.name.value === idVariable);
  // validateQueryTemplate guarantees both; a hand-made template that breaks this is a bug.
  if (rootField?.kind !== Kind.FIELD || !idDefinition) throw new Error('the query template must have one root field and its id variable');

  const fragments = fragmentDefinitions(template.document);
  const inlined = fragmentsUsingVariable(fragments, idVariable);
  const indexes = Array.from({ length: count }, (_, index) => index);
  const batchOperation: OperationDefinitionNode = {
    ...operation,
    name: { kind: Kind.NAME, value: `${operation.name?.value ?? template.entityType.name}Batch` },
    variableDefinitions: indexes.map((index) => renamedVariable(idDefinition, variableName(index))),
    selectionSet: {
      ...operation.selectionSet,
      selections: indexes.map((index) => aliasedRootField(rootField, index, idVariable, fragments, inlined)),
    },
  };
  const kept = [...fragments.values()].filter((fragment) => !inlined.has(fragment.name.value));
  const text = print({ kind: Kind.DOCUMENT, definitions: [batchOperation, ...kept] });
  const variables = (ids: readonly string[]): Record<string, string | number> => {
    if (ids.length !== count) throw new RangeError(`this batch takes ${count} ids, not ${ids.length}`);
    return Object.fromEntries(ids.map((id, index) => [variableName(index), template.idKind === 'int' ? Number(id) : id]));
  };
  // Parsed from the text so the AST's locations match what the gateway reports errors against.
  return { count, document: parse(text), text, variableName, responseKey, variables };
}

function renamedVariable(definition: VariableDefinitionNode, name: string): VariableDefinitionNode {
  return { ...definition, variable: { ...definition.variable, name: { kind: Kind.NAME, value: name } } };
}

/** The root field for the `index`-th entity: aliased, reading its own id variable. */
function aliasedRootField(
  rootField: FieldNode,
  index: number,
  idVariable: string,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  inlined: ReadonlySet<string>,
): FieldNode {
  const field = visit(rootField, {
    Variable: (node) => (node.name.value === idVariable ? { ...node, name: { kind: Kind.NAME, value: variableName(index) } } : undefined),
    // visit() descends into the returned inline fragment, so the id inside it is substituted too.
    FragmentSpread: (node): InlineFragmentNode | undefined => {
      const fragment = inlined.has(node.name.value) ? fragments.get(node.name.value) : undefined;
      if (!fragment) return undefined;
      return { kind: Kind.INLINE_FRAGMENT, typeCondition: fragment.typeCondition, directives: node.directives, selectionSet: fragment.selectionSet };
    },
  });
  return { ...field, alias: { kind: Kind.NAME, value: responseKey(index) } };
}

function fragmentDefinitions(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  return new Map(fragments.map((fragment) => [fragment.name.value, fragment]));
}

/** Names of the fragments that reference `$variable`, directly or through the fragments they spread. */
function fragmentsUsingVariable(fragments: ReadonlyMap<string, FragmentDefinitionNode>, variable: string): Set<string> {
  const spreads = new Map<string, string[]>();
  const using = new Set<string>();
  for (const [name, fragment] of fragments) {
    const spread: string[] = [];
    visit(fragment, {
      Variable: (node) => void (node.name.value === variable && using.add(name)),
      FragmentSpread: (node) => void spread.push(node.name.value),
    });
    spreads.set(name, spread);
  }
  // Fragments cannot spread in cycles (NoFragmentCycles), so this settles within |fragments| rounds.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, spread] of spreads) {
      if (!using.has(name) && spread.some((other) => using.has(other))) {
        using.add(name);
        changed = true;
      }
    }
  }
  return using;
}
