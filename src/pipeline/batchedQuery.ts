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
import { decodeId } from '../graph/entityKey.ts';
import type { QueryTemplate } from '../graph/validateQueryTemplate.ts';

/** The query template turned into one operation that fetches `count` entities at once. */
export interface BatchedQuery {
  readonly count: number;
  readonly document: DocumentNode;
  /** The printed document, as sent to the gateway (`document` is parsed from it). */
  readonly text: string;
  /** The alias under which the i-th entity comes back in `data`. */
  responseKey(index: number): string;
  /** The request variables binding each part of `ids[i]`'s key to the i-th alias (numbers for `Int` fields). */
  variables(ids: readonly string[]): Record<string, string | number>;
}

/** Why `id` cannot be sent as the template's key, or null when it can. */
export function idProblem(template: Pick<QueryTemplate, 'key'>, id: string): string | null {
  const decoded = decodeId(template.key, id);
  return 'problem' in decoded ? decoded.problem : null;
}

/** The i-th entity's variable for the j-th key field: `$id3` for a one-field key, `$id3_1` for a composite one. */
const variableName = (index: number, part: number, parts: number): string => (parts === 1 ? `id${index}` : `id${index}_${part}`);
const responseKey = (index: number): string => `e${index}`;

// Batches come in a handful of sizes (full chunks, a remainder, retried stragglers), so each
// template keeps its batched forms by size; a WeakMap lets a reloaded template drop its own.
const cache = new WeakMap<QueryTemplate, Map<number, BatchedQuery>>();

/**
 * One operation fetching `count` entities: the template's root field repeated as `e0…e{n-1}`,
 * each with its own key variables (`$id0…`, or `$id0_0, $id0_1…` for a composite key) of the
 * template's types, named fragments kept once, the operation named `<Name>Batch`. Fragments that
 * use a key variable are inlined, since one shared fragment cannot carry a different id per alias.
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
  const { operation, key } = template;
  const rootField = operation.selectionSet.selections[0];
  const definitions = key.map((part) => operation.variableDefinitions?.find((d) => d.variable.name.value === part.variable));
  // validateQueryTemplate guarantees both; a hand-made template that breaks this is a bug.
  if (rootField?.kind !== Kind.FIELD || definitions.some((d) => d === undefined)) throw new Error('the query template must have one root field and its key variables');

  const keyVariables = key.map((part) => part.variable);
  const fragments = fragmentDefinitions(template.document);
  const inlined = fragmentsUsingVariables(fragments, new Set(keyVariables));
  const indexes = Array.from({ length: count }, (_, index) => index);
  const batchOperation: OperationDefinitionNode = {
    ...operation,
    name: { kind: Kind.NAME, value: `${operation.name?.value ?? template.entityType.name}Batch` },
    variableDefinitions: indexes.flatMap((index) =>
      definitions.map((definition, part) => renamedVariable(definition as VariableDefinitionNode, variableName(index, part, key.length))),
    ),
    selectionSet: {
      ...operation.selectionSet,
      selections: indexes.map((index) => aliasedRootField(rootField, index, keyVariables, fragments, inlined)),
    },
  };
  const kept = [...fragments.values()].filter((fragment) => !inlined.has(fragment.name.value));
  const text = print({ kind: Kind.DOCUMENT, definitions: [batchOperation, ...kept] });
  const variables = (ids: readonly string[]): Record<string, string | number> => {
    if (ids.length !== count) throw new RangeError(`this batch takes ${count} ids, not ${ids.length}`);
    const bound: Record<string, string | number> = {};
    for (const [index, id] of ids.entries()) {
      const decoded = decodeId(key, id);
      // The fetcher sends only ids idProblem accepted.
      if ('problem' in decoded) throw new RangeError(decoded.problem);
      for (const [part, value] of decoded.values.entries()) bound[variableName(index, part, key.length)] = value;
    }
    return bound;
  };
  // Parsed from the text so the AST's locations match what the gateway reports errors against.
  return { count, document: parse(text), text, responseKey, variables };
}

function renamedVariable(definition: VariableDefinitionNode, name: string): VariableDefinitionNode {
  return { ...definition, variable: { ...definition.variable, name: { kind: Kind.NAME, value: name } } };
}

/** The root field for the `index`-th entity: aliased, reading its own key variables. */
function aliasedRootField(
  rootField: FieldNode,
  index: number,
  keyVariables: readonly string[],
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  inlined: ReadonlySet<string>,
): FieldNode {
  const field = visit(rootField, {
    Variable: (node) => {
      const part = keyVariables.indexOf(node.name.value);
      return part === -1 ? undefined : { ...node, name: { kind: Kind.NAME, value: variableName(index, part, keyVariables.length) } };
    },
    // visit() descends into the returned inline fragment, so the key inside it is substituted too.
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

/** Names of the fragments that reference one of `variables`, directly or through the fragments they spread. */
function fragmentsUsingVariables(fragments: ReadonlyMap<string, FragmentDefinitionNode>, variables: ReadonlySet<string>): Set<string> {
  const spreads = new Map<string, string[]>();
  const using = new Set<string>();
  for (const [name, fragment] of fragments) {
    const spread: string[] = [];
    visit(fragment, {
      Variable: (node) => void (variables.has(node.name.value) && using.add(name)),
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
