import { getNamedType, isCompositeType, Kind, type GraphQLCompositeType, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { fieldOwners, type FieldOwners } from './fieldOwners.ts';
import type { QueryTemplate } from './validateQueryTemplate.ts';

/**
 * Which subgraph resolves each field of a query template, by response path — what the gateway's
 * query plan does with it, read from the supergraph's join__ directives: a field is fetched from
 * a subgraph that owns it, the one its parent came from when that one can (the planner stays in a
 * subgraph when it can), else the first owner.
 */
export interface ResponsePathOwners {
  /**
   * The subgraph of the deepest field of `path` (response keys below the document, list indexes
   * anywhere: `cast.0.talent.name`) that the template selects; null when none is known.
   */
  ownerOf(path: readonly unknown[]): string | null;
  /** Every subgraph the template reaches, in the order first met. */
  subgraphs: readonly string[];
}

/** Nothing known: every error and latency is the gateway's. */
export const NO_OWNERS: ResponsePathOwners = { ownerOf: () => null, subgraphs: [] };

/** The owners of a template's paths; without a supergraph (a gateway read by introspection) nothing is known. */
export function responsePathOwners(schema: GraphQLSchema, template: Pick<QueryTemplate, 'document' | 'operation' | 'rootFieldName'>, supergraphSdl: string | null): ResponsePathOwners {
  if (supergraphSdl === null) return NO_OWNERS;
  const owners = fieldOwners(supergraphSdl);
  const byPath = new Map<string, string>();
  const queryType = schema.getQueryType();
  if (!queryType) return NO_OWNERS;
  const root = pickOwner(owners, queryType.name, template.rootFieldName, null);
  const rootField = queryType.getFields()[template.rootFieldName];
  const rootSelection = template.operation.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
  if (root !== null) byPath.set('', root);
  const documentType = rootField ? getNamedType(rootField.type) : undefined;
  if (rootSelection?.kind === Kind.FIELD && rootSelection.selectionSet && documentType && isCompositeType(documentType)) {
    walk(schema, template, owners, rootSelection.selectionSet, documentType, '', root, byPath);
  }
  return {
    subgraphs: [...new Set(byPath.values())],
    ownerOf(path) {
      const keys = path.filter((part): part is string => typeof part === 'string');
      for (let length = keys.length; length >= 0; length--) {
        const owner = byPath.get(keys.slice(0, length).join('.'));
        if (owner !== undefined) return owner;
      }
      return null;
    },
  };
}

function walk(
  schema: GraphQLSchema,
  template: Pick<QueryTemplate, 'document'>,
  owners: FieldOwners,
  selectionSet: SelectionSetNode,
  parentType: GraphQLCompositeType,
  prefix: string,
  parentOwner: string | null,
  byPath: Map<string, string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT || selection.kind === Kind.FRAGMENT_SPREAD) {
      const fragment =
        selection.kind === Kind.INLINE_FRAGMENT
          ? selection
          : template.document.definitions.find((definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value);
      if (!fragment || !('selectionSet' in fragment) || !fragment.selectionSet) continue;
      const condition = 'typeCondition' in fragment && fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parentType;
      if (condition && isCompositeType(condition)) walk(schema, template, owners, fragment.selectionSet, condition, prefix, parentOwner, byPath);
      continue;
    }
    if (selection.name.value.startsWith('__')) continue;
    const responseKey = selection.alias?.value ?? selection.name.value;
    const path = prefix === '' ? responseKey : `${prefix}.${responseKey}`;
    const owner = pickOwner(owners, parentType.name, selection.name.value, parentOwner);
    // An abstract parent's field is owned per concrete type: the first one's owners stand for it.
    if (owner !== null && !byPath.has(path)) byPath.set(path, owner);
    if (!selection.selectionSet || !('getFields' in parentType)) continue;
    const field = parentType.getFields()[selection.name.value];
    const fieldType = field ? getNamedType(field.type) : undefined;
    if (fieldType && isCompositeType(fieldType)) walk(schema, template, owners, selection.selectionSet, fieldType, path, owner ?? parentOwner, byPath);
  }
}

function pickOwner(owners: FieldOwners, typeName: string, fieldName: string, parentOwner: string | null): string | null {
  const candidates = owners.ofField(typeName, fieldName);
  if (parentOwner !== null && candidates.includes(parentOwner)) return parentOwner;
  return candidates[0] ?? null;
}
