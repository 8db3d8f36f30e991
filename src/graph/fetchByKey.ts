import {
  getNamedType,
  isEnumType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  type FieldNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { didYouMean } from '../suggestions.ts';
import type { KeyPart } from './entityKey.ts';
import { supergraphApiSchema } from './loadGraphSchema.ts';
import { entityKeys, normalizeFieldSet, type SubgraphSource, type SupergraphSource } from './supergraph.ts';
import { composition } from './federationLibraries.ts';

// Fetching an entity by its @key, for types the graph gives no root field (`User @key(fields:
// "email")`, reachable only as `Product.createdBy`). The gateway's API schema has no entry point for
// them, so fedsearch adds its own: a small subgraph, composed with the user's subgraphs (extracted
// from their supergraph), whose `Query._fedsearch_<Type>(<key fields>)` returns a reference to the
// entity (`@key(..., resolvable: false)`). The query planner then fetches every selected field from
// the subgraphs that own them, through `_entities`, as it would for any reference.

/** Name of fedsearch's entry subgraph in the composed graph. */
export const ENTRY_SUBGRAPH = '_fedsearch';

/** Everything needed to fetch one entity type by one of its keys. */
export interface FetchByKeyPlan {
  typeName: string;
  /** The key's field set, as in `@key(fields:)` (normalized spelling). */
  keyFields: string;
  /** The entry subgraph's root field (`_fedsearch_User`). */
  entryField: string;
  key: KeyPart[];
  /** The user's subgraphs, as extracted from their supergraph. */
  subgraphs: SubgraphSource[];
  /** The entry subgraph's SDL. */
  entrySdl: string;
  /** The user's subgraphs and the entry subgraph, composed. */
  supergraphSdl: string;
  /** The API schema of that composition: the user's graph plus `_fedsearch_<Type>`. */
  apiSchema: GraphQLSchema;
}

/** A problem with the primary type or its key; `field` says which config field it belongs to. */
export class FetchByKeyError extends Error {
  constructor(
    message: string,
    readonly field: 'primary.type' | 'primary.key',
  ) {
    super(message);
  }
}

/**
 * The plan for fetching `typeName` by `keyChoice` (a field set as written in one of its `@key`s),
 * or by its first resolvable key when `keyChoice` is null.
 */
export function planFetchByKey(supergraph: SupergraphSource, graphSchema: GraphQLSchema, typeName: string, keyChoice: string | null): FetchByKeyPlan {
  const type = graphSchema.getType(typeName);
  if (!type || !isObjectType(type)) {
    throw new FetchByKeyError(`${typeName} is not an object type of the supergraph ${supergraph.file}`, 'primary.type');
  }
  const declared = entityKeys(supergraph, typeName);
  const resolvable = declared.filter((key) => key.resolvable);
  if (resolvable.length === 0) {
    throw new FetchByKeyError(
      declared.length === 0
        ? `${typeName} is not an entity: no subgraph declares @key on it, so it cannot be fetched by key`
        : `${typeName} has no resolvable @key: every subgraph declares it with resolvable: false`,
      'primary.type',
    );
  }
  const choices = [...new Set(resolvable.map((key) => key.fields))];
  const keyFields = keyChoice === null ? (choices[0] as string) : normalizeFieldSet(keyChoice);
  if (!choices.includes(keyFields)) {
    throw new FetchByKeyError(
      `"${keyChoice}" is not a resolvable @key of ${typeName}; its keys are ${choices.map((choice) => `"${choice}"`).join(', ')}${didYouMean(choices.slice(0, 1).map((c) => `"${c}"`))}`,
      'primary.key',
    );
  }

  const leaves = keyLeaves(graphSchema, type.name, parse(`{ ${keyFields} }`).definitions[0] as { selectionSet: SelectionSetNode });
  const key: KeyPart[] = leaves.map(({ path, leafType }) => ({
    variable: path.join('_'),
    argument: path.join('_'),
    documentPath: path.join('.'),
    typeName: leafType.name,
    kind: leafType.name === 'Int' ? 'int' : 'string',
  }));
  const entryField = `_fedsearch_${typeName}`;
  const entrySdl = entrySubgraphSdl(graphSchema, typeName, keyFields, entryField, key);
  const composed = composition().composeServices([
    ...supergraph.subgraphs,
    { name: ENTRY_SUBGRAPH, url: 'http://fedsearch.invalid/graphql', typeDefs: parse(entrySdl) },
  ]);
  if (composed.errors) {
    throw new FetchByKeyError(
      `fedsearch cannot add its entry point for ${typeName} @key(fields: "${keyFields}") to the supergraph: ${composed.errors.map((error) => error.message).join('; ')}`,
      'primary.key',
    );
  }
  return {
    typeName,
    keyFields,
    entryField,
    key,
    subgraphs: supergraph.subgraphs,
    entrySdl,
    supergraphSdl: composed.supergraphSdl,
    apiSchema: supergraphApiSchema(composed.supergraphSdl),
  };
}

/**
 * The operation fedsearch appends to a fragment query (after it, so the fragment's positions are
 * the user's): the entry field taking every key field, selecting the key and the fragment.
 */
export function fetchByKeyOperation(plan: FetchByKeyPlan, fragmentName: string): string {
  const variables = plan.key.map((part) => `$${part.variable}: ${part.typeName}!`).join(', ');
  const args = plan.key.map((part) => `${part.argument}: $${part.variable}`).join(', ');
  return `query ${plan.typeName}ByKey(${variables}) { ${plan.entryField}(${args}) { ${plan.keyFields} ...${fragmentName} } }`;
}

/** The entry root field's value for one entity: a reference the planner completes through `_entities`. */
export function entityReference(plan: Pick<FetchByKeyPlan, 'typeName' | 'key'>, args: Record<string, unknown>): Record<string, unknown> {
  const reference: Record<string, unknown> = { __typename: plan.typeName };
  for (const part of plan.key) {
    const segments = part.documentPath.split('.');
    let target = reference;
    for (const segment of segments.slice(0, -1)) target = (target[segment] ??= {}) as Record<string, unknown>;
    target[segments.at(-1) as string] = args[part.argument];
  }
  return reference;
}

/** The scalar (or enum) leaves of a key field set, with their paths from the entity. */
function keyLeaves(schema: GraphQLSchema, typeName: string, selection: { selectionSet: SelectionSetNode }): Array<{ path: string[]; leafType: GraphQLNamedType }> {
  const leaves: Array<{ path: string[]; leafType: GraphQLNamedType }> = [];
  const walk = (parentName: string, set: SelectionSetNode, prefix: string[]): void => {
    const parent = schema.getType(parentName);
    for (const node of set.selections) {
      if (node.kind !== Kind.FIELD) continue;
      const field = isObjectType(parent) ? parent.getFields()[(node as FieldNode).name.value] : undefined;
      if (!field) throw new FetchByKeyError(`the key field ${[...prefix, node.name.value].join('.')} is not a field of ${parentName}`, 'primary.key');
      const named = getNamedType(field.type);
      if (node.selectionSet) walk(named.name, node.selectionSet, [...prefix, node.name.value]);
      else leaves.push({ path: [...prefix, node.name.value], leafType: named });
    }
  };
  walk(typeName, selection.selectionSet, []);
  return leaves;
}

/**
 * The entry subgraph: the root field returning the entity, the entity with only its key fields
 * (`resolvable: false`: it can refer to the entity, not resolve it), the object types inside the
 * key with only their key fields, and the scalars and enums the key uses.
 */
function entrySubgraphSdl(schema: GraphQLSchema, typeName: string, keyFields: string, entryField: string, key: KeyPart[]): string {
  const objects = new Map<string, Map<string, string>>();
  const leafTypes = new Set<GraphQLNamedType>();
  const addPath = (parentName: string, segments: string[]): void => {
    const parent = schema.getType(parentName);
    if (!isObjectType(parent)) return;
    const [head, ...rest] = segments as [string, ...string[]];
    const field = parent.getFields()[head];
    if (!field) return;
    const fields = objects.get(parentName) ?? new Map<string, string>();
    objects.set(parentName, fields);
    fields.set(head, String(field.type));
    const named = getNamedType(field.type);
    if (rest.length > 0) addPath(named.name, rest);
    else leafTypes.add(named);
  };
  for (const part of key) addPath(typeName, part.documentPath.split('.'));

  const builtIn = new Set(['ID', 'String', 'Int', 'Float', 'Boolean']);
  const lines = [
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])',
    `type Query { ${entryField}(${key.map((part) => `${part.argument}: ${part.typeName}!`).join(', ')}): ${typeName} }`,
  ];
  for (const [name, fields] of objects) {
    const directive = name === typeName ? ` @key(fields: ${JSON.stringify(keyFields)}, resolvable: false)` : '';
    lines.push(`type ${name}${directive} { ${[...fields].map(([field, type]) => `${field}: ${type}`).join(' ')} }`);
  }
  for (const leaf of leafTypes) {
    if (isScalarType(leaf) && !builtIn.has(leaf.name)) lines.push(`scalar ${leaf.name}`);
    if (isEnumType(leaf)) lines.push(`enum ${leaf.name} { ${leaf.getValues().map((value) => value.name).join(' ')} }`);
  }
  return lines.join('\n');
}
