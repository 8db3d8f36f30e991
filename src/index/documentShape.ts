import {
  Kind,
  TypeInfo,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isScalarType,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type {
  DirectiveNode,
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLCompositeType,
  GraphQLOutputType,
  GraphQLSchema,
  InlineFragmentNode,
  OperationDefinitionNode,
} from 'graphql';
import type { ScalarKind } from '../config/indexConfig.ts';
import { UserError } from '../errors.ts';
import type { QueryTemplate } from '../graph/validateQueryTemplate.ts';

/**
 * How a leaf value is stored. The config's ScalarKind plus `integer`, which only GraphQL's own
 * 32-bit `Int` maps to (a custom scalar that needs a number is a `long`).
 */
export type LeafStorage = ScalarKind | 'integer';

interface ShapeNodeBase {
  /** The response key: the alias when there is one, else the field name. */
  key: string;
  /** Dotted response keys from the document root, e.g. `cast.talent.name`; `''` for the root. */
  path: string;
  /** The schema field selected (`__typename` for the meta field). */
  fieldName: string;
  /** The named type under any list and non-null wrappers. */
  typeName: string;
  /**
   * Whether the value is non-null at each level, outermost first: `[field, items, items of items,
   * …]`, so its length is listDepth + 1. Already weakened to nullable where the query cannot
   * promise a value (a field only some member types of a union have, `@skip`/`@include`).
   */
  nonNull: boolean[];
  listDepth: number;
  description: string | null;
}

export interface ScalarShape extends ShapeNodeBase {
  kind: 'scalar';
  storage: LeafStorage;
}

export interface EnumShape extends ShapeNodeBase {
  kind: 'enum';
  storage: 'keyword';
  values: string[];
}

export interface ObjectShape extends ShapeNodeBase {
  /** `abstract` when the selection is on an interface or union (its fields are merged). */
  kind: 'object' | 'abstract';
  /** The concrete object types a value can have. */
  possibleTypes: string[];
  /** Merged selections, in the order their response keys first appear in the query. */
  fields: ShapeNode[];
}

export type LeafShape = ScalarShape | EnumShape;
export type ShapeNode = LeafShape | ObjectShape;

export interface DocumentShape {
  operationName: string | null;
  /** The operation's single root field, whose value is the document; its `path` is `''`. */
  root: ObjectShape;
}

export interface DocumentShapeOptions {
  /** Storage of custom scalars (and overrides for built-in ones), e.g. `{ Money: 'double' }`. */
  scalars?: Record<string, ScalarKind>;
}

const BUILT_IN_SCALARS: Readonly<Record<string, LeafStorage>> = {
  ID: 'keyword',
  String: 'string',
  Int: 'integer',
  Float: 'double',
  Boolean: 'boolean',
};

// Nearly every graph names its timestamps one of these; nobody should have to configure them.
const DEFAULT_CUSTOM_SCALARS: Readonly<Record<string, ScalarKind>> = {
  DateTime: 'date',
  Date: 'date',
};

const SCALAR_KINDS: readonly ScalarKind[] = ['string', 'keyword', 'text', 'date', 'long', 'double', 'boolean'];

/** A node while the walk may still merge more selections into it. */
interface NodeUnderConstruction {
  key: string;
  path: string;
  fieldName: string;
  typeName: string;
  nonNull: boolean[];
  description: string | null;
  leaf: { kind: 'scalar'; storage: LeafStorage } | { kind: 'enum'; values: string[] } | null;
  abstract: boolean;
  possibleTypes: Set<string>;
  /** Every place the query selects this response key, fragments and repeats included. */
  occurrences: Occurrence[];
  children: Map<string, NodeUnderConstruction>;
}

/**
 * One selection of a response key, and when it applies: whether a response has the key depends
 * on which of its selections applied, so nullability is decided from these once the walk is done.
 */
interface Occurrence {
  node: NodeUnderConstruction;
  /** The occurrence of the parent field whose selection set holds this one; null for the root. */
  parent: Occurrence | null;
  /** Runtime types of the parent value this selection applies to (narrowed by type conditions). */
  underTypes: Set<string>;
  /** Under `@skip`/`@include` (on the field or an enclosing inline fragment). */
  conditional: boolean;
}

/** The selection set the walk is in: which field occurrence it fills, and for which runtime types. */
interface SelectionScope {
  occurrence: Occurrence;
  /** Concrete types whose values this selection set applies to (narrowed by type conditions). */
  runtimeTypes: Set<string>;
  /** Inside an inline fragment with `@skip`/`@include`. */
  conditional: boolean;
}

/**
 * The shape of the document a templated query returns: the value of its single root field, as a
 * tree of response keys with their GraphQL types. Both generators work from this tree so the Avro
 * schema and the Elasticsearch mapping can never disagree about what a document holds. The query
 * is one checkQueryTemplate has passed (src/graph/validateQueryTemplate.ts): it is not checked again.
 */
export function documentShape(
  schema: GraphQLSchema,
  template: Pick<QueryTemplate, 'document' | 'operation'>,
  options: DocumentShapeOptions = {},
): DocumentShape {
  const { document, operation } = template;
  const selfContained = inlineFragmentSpreads(operation, document);

  const typeInfo = new TypeInfo(schema);
  const scopes: SelectionScope[] = [];
  const missingScalars = new Map<string, string[]>();
  let root: NodeUnderConstruction | null = null;

  const leafOf = (type: GraphQLOutputType, path: string): NodeUnderConstruction['leaf'] => {
    const named = getNamedType(type);
    if (isEnumType(named)) return { kind: 'enum', values: named.getValues().map((value) => value.name) };
    if (!isScalarType(named)) return null;
    const storage = options.scalars?.[named.name] ?? BUILT_IN_SCALARS[named.name] ?? DEFAULT_CUSTOM_SCALARS[named.name];
    if (storage === undefined) {
      missingScalars.set(named.name, [...(missingScalars.get(named.name) ?? []), path]);
      return { kind: 'scalar', storage: 'keyword' };
    }
    return { kind: 'scalar', storage };
  };

  visit(
    selfContained,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(field) {
          const type = typeInfo.getType();
          const definition = typeInfo.getFieldDef();
          // Validation passed, so every field resolves; this only narrows the types.
          if (type == null || definition == null) throw new Error(`Unresolved field ${field.name.value}`);
          const scope = scopes.at(-1);
          const parent = scope?.occurrence.node;
          const key = field.alias?.value ?? field.name.value;
          const path = parent === undefined ? '' : joinPath(parent.path, key);

          let node = parent?.children.get(key);
          if (node === undefined) {
            const isTypename = field.name.value === '__typename';
            node = {
              key,
              path,
              fieldName: field.name.value,
              typeName: getNamedType(type).name,
              nonNull: nullabilityByLevel(type),
              description: definition.description ?? null,
              // __typename is a type name to filter on exactly, not prose to analyse.
              leaf: isTypename ? { kind: 'scalar', storage: 'keyword' } : leafOf(type, path),
              abstract: isAbstractType(getNamedType(type)),
              possibleTypes: new Set(),
              occurrences: [],
              children: new Map(),
            };
            if (parent === undefined) root = node;
            else parent.children.set(key, node);
          }
          const occurrence: Occurrence = {
            node,
            parent: scope?.occurrence ?? null,
            underTypes: scope?.runtimeTypes ?? new Set(),
            conditional: (scope?.conditional ?? false) || hasConditionalDirective(field.directives),
          };
          node.occurrences.push(occurrence);

          const named = getNamedType(type);
          if (isCompositeType(named)) {
            const runtimeTypes = concreteTypes(schema, named);
            for (const runtimeType of runtimeTypes) node.possibleTypes.add(runtimeType);
            scopes.push({ occurrence, runtimeTypes, conditional: false });
          }
        },
        leave(field) {
          if (field.selectionSet !== undefined) scopes.pop();
        },
      },
      InlineFragment: {
        enter(fragment) {
          const scope = scopes.at(-1);
          if (scope === undefined) throw new Error('An inline fragment outside the root field');
          const condition = typeInfo.getType();
          let runtimeTypes = scope.runtimeTypes;
          const conditionType = condition == null ? null : getNamedType(condition);
          if (fragment.typeCondition !== undefined && isCompositeType(conditionType)) {
            const allowed = concreteTypes(schema, conditionType);
            runtimeTypes = new Set([...runtimeTypes].filter((runtimeType) => allowed.has(runtimeType)));
          }
          scopes.push({
            occurrence: scope.occurrence,
            runtimeTypes,
            conditional: scope.conditional || hasConditionalDirective(fragment.directives),
          });
        },
        leave() {
          scopes.pop();
        },
      },
    }),
  );

  if (missingScalars.size > 0) {
    const lines = [...missingScalars].map(([scalar, paths]) => `  ${scalar} (at ${paths.map((path) => path || '<root>').join(', ')})`);
    throw new UserError(
      `No storage kind for custom scalar${missingScalars.size > 1 ? 's' : ''}:\n${lines.join('\n')}\n` +
        `Add ${missingScalars.size > 1 ? 'them' : 'it'} under \`scalars:\` in the index config, e.g. \`scalars: { ${[...missingScalars.keys()][0]}: keyword }\` ` +
        `(one of ${SCALAR_KINDS.join(', ')}).`,
    );
  }
  // TypeScript cannot see the assignment inside the visitor callback.
  const rootNode = root as NodeUnderConstruction | null;
  // checkQueryTemplate rules out both; a caller that skipped it gets told so.
  if (rootNode === null || rootNode.leaf !== null || rootNode.nonNull.length > 1) {
    throw new Error('documentShape needs a query template that checkQueryTemplate has passed (one root field returning one object)');
  }
  return { operationName: operation.name?.value ?? null, root: finish(rootNode, true) as ObjectShape };
}

/**
 * Replaces every named-fragment spread by an inline fragment with the same type condition, so one
 * walk of the operation sees every selection in place, under the right type. Validation has
 * already ruled out cycles and unknown fragments.
 */
function inlineFragmentSpreads(operation: OperationDefinitionNode, document: DocumentNode): OperationDefinitionNode {
  const fragments = new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  return visit(operation, {
    FragmentSpread(spread): InlineFragmentNode {
      const fragment = fragments.get(spread.name.value);
      if (fragment === undefined) throw new Error(`Unknown fragment ${spread.name.value}`);
      // visit() walks into the node returned here, so spreads inside the fragment are inlined too.
      return {
        kind: Kind.INLINE_FRAGMENT,
        typeCondition: fragment.typeCondition,
        directives: [...(spread.directives ?? []), ...(fragment.directives ?? [])],
        selectionSet: fragment.selectionSet,
        ...(spread.loc === undefined ? {} : { loc: spread.loc }),
      };
    },
  });
}

function hasConditionalDirective(directives: readonly DirectiveNode[] | undefined): boolean {
  return (directives ?? []).some((directive) => directive.name.value === 'skip' || directive.name.value === 'include');
}

function nullabilityByLevel(type: GraphQLOutputType): boolean[] {
  const levels: boolean[] = [];
  let current: GraphQLOutputType = type;
  for (;;) {
    const nonNull = isNonNullType(current);
    const inner: GraphQLOutputType = isNonNullType(current) ? current.ofType : current;
    levels.push(nonNull);
    if (!isListType(inner)) return levels;
    current = inner.ofType;
  }
}

function concreteTypes(schema: GraphQLSchema, type: GraphQLCompositeType): Set<string> {
  return new Set(isAbstractType(type) ? schema.getPossibleTypes(type).map((possible) => possible.name) : [type.name]);
}

function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function finish(node: NodeUnderConstruction, presentWheneverParentIs: boolean): ShapeNode {
  const [outermost = false, ...inner] = node.nonNull;
  const base: ShapeNodeBase = {
    key: node.key,
    path: node.path,
    fieldName: node.fieldName,
    typeName: node.typeName,
    nonNull: [outermost && presentWheneverParentIs, ...inner],
    listDepth: node.nonNull.length - 1,
    description: node.description,
  };
  if (node.leaf?.kind === 'scalar') return { ...base, kind: 'scalar', storage: node.leaf.storage };
  if (node.leaf?.kind === 'enum') return { ...base, kind: 'enum', storage: 'keyword', values: node.leaf.values };
  const fields = [...node.children.values()].map((child) => finish(child, presentWheneverPresent(child, node)));
  return { ...base, kind: node.abstract ? 'abstract' : 'object', possibleTypes: [...node.possibleTypes], fields };
}

/**
 * Whether a response holding the parent's object certainly holds the child's key. Two sufficient
 * conditions, else the child is nullable: every selection of the parent selects the child for all
 * its runtime types, or the selections of the parent that always apply do so together. (A field
 * only some member types of a union select, or one under `@skip`, fails both.)
 */
function presentWheneverPresent(child: NodeUnderConstruction, parent: NodeUnderConstruction): boolean {
  const unconditionalTypesIn = (parentOccurrence: Occurrence): Set<string> =>
    new Set(
      child.occurrences
        .filter((occurrence) => occurrence.parent === parentOccurrence && !occurrence.conditional)
        .flatMap((occurrence) => [...occurrence.underTypes]),
    );
  const coversParent = (types: Set<string>): boolean => [...parent.possibleTypes].every((possible) => types.has(possible));
  if (parent.occurrences.every((occurrence) => coversParent(unconditionalTypesIn(occurrence)))) return true;
  const fromAlwaysApplying = parent.occurrences
    .filter((occurrence) => appliesWheneverNodeIsPresent(occurrence))
    .flatMap((occurrence) => [...unconditionalTypesIn(occurrence)]);
  return coversParent(new Set(fromAlwaysApplying));
}

function appliesWheneverNodeIsPresent(occurrence: Occurrence): boolean {
  return occurrence.node.occurrences.length === 1 || appliesWheneverParentIsPresent(occurrence);
}

function appliesWheneverParentIsPresent(occurrence: Occurrence): boolean {
  const parentOccurrence = occurrence.parent;
  if (parentOccurrence === null) return true;
  const parentTypes = parentOccurrence.node.possibleTypes;
  return (
    !occurrence.conditional &&
    [...parentTypes].every((possible) => occurrence.underTypes.has(possible)) &&
    appliesWheneverNodeIsPresent(parentOccurrence)
  );
}
