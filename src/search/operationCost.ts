import { GraphQLError, Kind, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValidationRule } from 'graphql';

/** What one GraphQL operation would cost the search subgraph, fragments counted wherever they are spread. */
export interface OperationCost {
  /** Search fields at the root, each alias one: each is an Elasticsearch search. */
  searches: number;
  /** Fields selected anywhere. */
  fields: number;
  /** The deepest nesting of fields. */
  depth: number;
}

/**
 * The most one operation may cost. Five searches serve a page over several indexes; 500 fields
 * and 20 levels leave room for the standard introspection query (220 fields, 15 deep) and bound
 * the work of answering anything else.
 */
export const OPERATION_LIMITS: Readonly<OperationCost> = { searches: 5, fields: 500, depth: 20 };

const NOTHING: OperationCost = { searches: 0, fields: 0, depth: 0 };

/**
 * What is measured: the whole operation (the search subgraph's own endpoint, where everything is
 * search work), or only the search fields and what they select (a gateway, where the same
 * operation may also fetch a hundred entities of other subgraphs that are none of search's business).
 */
export type CostScope = 'operation' | 'searches';

/**
 * The cost of an operation, without executing it: each fragment is measured once (a fragment
 * spread a thousand times is counted a thousand times, in one pass), and a spread of a fragment
 * still being measured — a cycle, which validation refuses anyway — counts nothing.
 */
export function operationCost(
  operation: OperationDefinitionNode,
  fragment: (name: string) => FragmentDefinitionNode | undefined,
  searchFields: ReadonlySet<string>,
  scope: CostScope = 'operation',
): OperationCost {
  const measured = new Map<string, OperationCost>();
  const measure = (selectionSet: SelectionSetNode, atRoot: boolean): OperationCost => {
    let { searches, fields, depth } = NOTHING;
    for (const selection of selectionSet.selections) {
      let inner: OperationCost;
      if (selection.kind === Kind.FIELD) {
        if (atRoot && scope === 'searches' && !searchFields.has(selection.name.value)) continue;
        const below = selection.selectionSet ? measure(selection.selectionSet, false) : NOTHING;
        inner = { searches: atRoot && searchFields.has(selection.name.value) ? 1 : 0, fields: 1 + below.fields, depth: 1 + below.depth };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = measure(selection.selectionSet, atRoot);
      } else {
        inner = spreadCost(selection.name.value, atRoot);
      }
      searches += inner.searches;
      fields += inner.fields;
      depth = Math.max(depth, inner.depth);
    }
    return { searches, fields, depth };
  };
  const spreadCost = (name: string, atRoot: boolean): OperationCost => {
    const key = `${atRoot ? 'root' : 'nested'}:${name}`;
    const known = measured.get(key);
    if (known) return known;
    const definition = fragment(name);
    if (!definition) return NOTHING;
    measured.set(key, NOTHING);
    const cost = measure(definition.selectionSet, atRoot);
    measured.set(key, cost);
    return cost;
  };
  return measure(operation.selectionSet, true);
}

/** Why an operation of this cost is refused, or null when it is within the limits. */
export function overLimits(cost: OperationCost, limits: Readonly<OperationCost> = OPERATION_LIMITS): string | null {
  if (cost.searches > limits.searches) {
    return `this operation runs ${cost.searches} searches; at most ${limits.searches} may run in one operation (each alias of a search field is a search)`;
  }
  if (cost.depth > limits.depth) return `this operation nests fields ${cost.depth} deep; at most ${limits.depth} levels are answered`;
  if (cost.fields > limits.fields) return `this operation selects ${cost.fields} fields (fragments counted where they are spread); at most ${limits.fields} are answered`;
  return null;
}

/**
 * A validation rule refusing an operation over the limits before any of it runs (Apollo Server
 * answers 400 GRAPHQL_VALIDATION_FAILED).
 */
export function operationCostRule(
  searchFields: ReadonlySet<string>,
  options: { scope?: CostScope; limits?: Readonly<OperationCost> } = {},
): ValidationRule {
  const { scope = 'operation', limits = OPERATION_LIMITS } = options;
  return (context) => ({
    OperationDefinition(operation) {
      const refusal = overLimits(operationCost(operation, (name) => context.getFragment(name) ?? undefined, searchFields, scope), limits);
      if (refusal) context.reportError(new GraphQLError(refusal, { nodes: operation }));
      return false;
    },
  });
}
