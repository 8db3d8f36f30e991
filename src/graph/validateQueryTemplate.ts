import {
  getNamedType,
  GraphQLError,
  isAbstractType,
  isCompositeType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  parse,
  typeFromAST,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { ConfigError, type ConfigProblem } from '../config/configError.ts';
import { pagingOf } from '../config/backfillPaging.ts';
import type { IndexConfig, SourcePosition } from '../config/indexConfig.ts';
import { UserError } from '../errors.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';
import type { KeyPart } from './entityKey.ts';
import { fetchByKeyOperation, FetchByKeyError, planFetchByKey, type FetchByKeyPlan } from './fetchByKey.ts';
import { withTypenamesOfAbstractValues } from './recordTypenames.ts';
import type { SupergraphSource } from './supergraph.ts';

/** A query template that parses and validates against the graph, with its parts named. */
export interface QueryTemplate {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /**
   * The entity's key: the variables that receive it, one per key field (`$id`; `$sku`, `$package`
   * for a composite key). An id string is turned into their values by decodeId (entityKey.ts).
   */
  key: KeyPart[];
  /** Response key of the single root field; its value is the document. */
  rootKey: string;
  /** The root field's name in the schema (`movie`). */
  rootFieldName: string;
  /** The GraphQL type of the document (the root field's named type). */
  entityType: GraphQLNamedType;
  /** The object types a document can be: the entity type, or an interface's or union's members. */
  possibleTypes: string[];
  /** How the entity is fetched by key when the config's query is a fragment; null for a root-field query sent to the gateway. */
  fetchByKey: FetchByKeyPlan | null;
  /** Each deprecated field the query selects, with the schema's reason: warnings, not problems. */
  deprecations: QueryProblem[];
}

/** One problem with a query template, at a 1-based line and column of the query text. */
export interface QueryProblem {
  message: string;
  line: number;
  column: number;
}

/**
 * Every check a query template must pass, in one place (the document shape and the generators
 * rely on them and do not check again): it parses; graphql-js validation; one query operation;
 * one or more non-null ID/String/Int/custom-scalar variables, the entity's key; exactly one root
 * field, taking every one of them, returning one object (not a scalar, an enum or a list).
 * `expectedType`, when given, is the type the root field must return; `fetchByKey`, when the text
 * is a fragment completed by fetchByKeyOperation, says where each key field is in the document.
 */
export function checkQueryTemplate(
  schema: GraphQLSchema,
  text: string,
  expectedType?: string,
  fetchByKey?: FetchByKeyPlan,
): { template: QueryTemplate | null; problems: QueryProblem[] } {
  const problems: QueryProblem[] = [];
  const report = (message: string, at: { line: number; column: number } = { line: 1, column: 1 }): void =>
    void problems.push({ message, line: at.line, column: at.column });
  const startOf = (node: { loc?: { startToken: { line: number; column: number } } | undefined }): { line: number; column: number } =>
    node.loc ? { line: node.loc.startToken.line, column: node.loc.startToken.column } : { line: 1, column: 1 };
  const failed = (): { template: null; problems: QueryProblem[] } => ({ template: null, problems });

  let document: DocumentNode;
  try {
    document = parse(text);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    report(error.message.replace(/^Syntax Error: /, 'GraphQL syntax error: '), error.locations?.[0]);
    return failed();
  }
  for (const error of validate(schema, document)) report(error.message, error.locations?.[0]);

  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operations[0];
  if (operations.length !== 1 || !operation) {
    report(`must hold exactly one operation, found ${operations.length}`);
    return failed();
  }
  if (operation.operation !== 'query') report(`must be a query, not a ${operation.operation}`, startOf(operation));

  const variables = operation.variableDefinitions ?? [];
  if (variables.length === 0) {
    report('must declare at least one variable, the entity id (e.g. `query ($id: ID!)`), or one per field of a composite key; found 0', startOf(operation));
  }
  for (const variable of variables) {
    const type = typeFromAST(schema, variable.type);
    if (!type || !isNonNullType(type) || !isScalarType(type.ofType) || type.ofType.name === 'Float' || type.ofType.name === 'Boolean') {
      report(`the id variable $${variable.variable.name.value} must be a non-null ID, String, Int or custom scalar (e.g. ID!)`, startOf(variable));
    }
  }

  const rootFields = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
  const rootField = rootFields[0];
  if (rootFields.length !== 1 || operation.selectionSet.selections.length !== 1 || !rootField) {
    report('must select exactly one root field, the entity (e.g. `product(id: $id) { … }`)', startOf(operation.selectionSet));
    return failed();
  }
  const fieldDef = schema.getQueryType()?.getFields()[rootField.name.value];
  const entityType = fieldDef ? getNamedType(fieldDef.type) : undefined;
  if (fieldDef && entityType) {
    const unwrapped = isNonNullType(fieldDef.type) ? fieldDef.type.ofType : fieldDef.type;
    if (!isCompositeType(entityType)) {
      report(`the root field ${rootField.name.value} must return an object (the entity to index), not ${entityType.name}`, startOf(rootField));
    } else if (isListType(unwrapped)) {
      report(`the root field ${rootField.name.value} returns a list; it must return one entity, the document`, startOf(rootField));
    } else if (expectedType !== undefined && entityType.name !== expectedType) {
      report(`the root field ${rootField.name.value} returns ${entityType.name}, but primary.type is ${expectedType}`, startOf(rootField));
    }
  }
  const key: KeyPart[] = [];
  for (const variable of variables) {
    const name = variable.variable.name.value;
    const argument = argumentTaking(rootField, name);
    if (argument === undefined) {
      report(`the root field ${rootField.name.value} must take $${name} as an argument`, startOf(rootField));
      continue;
    }
    const typeName = getNamedType(typeFromAST(schema, variable.type) as GraphQLType).name;
    const documentPath = fetchByKey?.key.find((part) => part.variable === name)?.documentPath ?? argument;
    key.push({ variable: name, argument, documentPath, typeName, kind: typeName === 'Int' ? 'int' : 'string' });
  }
  if (problems.length > 0 || !entityType || key.length === 0) return failed();
  // Positions above are of the text as written; what is fetched also records abstract values' types.
  const recorded = withTypenamesOfAbstractValues(schema, document);
  const recordedOperation = recorded.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return {
    template: {
      document: recorded,
      operation: recordedOperation,
      key,
      rootKey: rootField.alias?.value ?? rootField.name.value,
      rootFieldName: rootField.name.value,
      entityType,
      possibleTypes: isAbstractType(entityType) ? schema.getPossibleTypes(entityType).map((type) => type.name) : [entityType.name],
      fetchByKey: fetchByKey ?? null,
      deprecations: deprecatedFields(schema, document),
    },
    problems,
  };
}

/** A checked query template from its text alone, for tools and tests with no config file. */
export function queryTemplate(schema: GraphQLSchema, text: string): QueryTemplate {
  const { template, problems } = checkQueryTemplate(schema, text);
  if (template === null) {
    throw new UserError(`The query is not a valid template:\n${problems.map((p) => `  ${p.line}:${p.column} ${p.message}`).join('\n')}`);
  }
  return template;
}

/**
 * The config's query checked against the schema (checkQueryTemplate), and the related types
 * named in the config; every problem is reported with its position in the YAML file.
 */
export function validateQueryTemplate(config: IndexConfig, schema: GraphQLSchema, supergraph: SupergraphSource | null = null): QueryTemplate {
  const byKey = fetchByKeyForm(config, schema, supergraph);
  if ('problem' in byKey) throw new ConfigError([byKey.problem]);
  const { template, problems: queryProblems } = byKey.plan
    ? checkQueryTemplate(byKey.plan.apiSchema, `${config.query.text}\n${fetchByKeyOperation(byKey.plan, byKey.fragmentName)}`, config.primary.type, byKey.plan)
    : checkQueryTemplate(schema, config.query.text, config.primary.type);
  const problems: ConfigProblem[] = queryProblems.map((problem) => queryProblemInYaml(config, problem));
  const typeNames = Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith('__'));
  for (const [i, related] of config.related.entries()) {
    if (schema.getType(related.type)) continue;
    problems.push({
      file: config.sourceFile,
      position: related.position,
      field: `related[${i}].type`,
      message: `type ${related.type} is not in the graph's schema${didYouMean(suggestionList(related.type, typeNames).slice(0, 1))}`,
    });
  }
  problems.push(...backfillQueryProblems(config, schema));
  if (problems.length > 0 || template === null) throw new ConfigError(problems);
  return template;
}

/** A problem (or warning) at a line and column of the query text, at its place in the YAML file. */
export function queryProblemInYaml(config: Pick<IndexConfig, 'query' | 'sourceFile'>, problem: QueryProblem): ConfigProblem {
  return {
    file: config.sourceFile,
    position: { line: config.query.position.line + problem.line - 1, col: config.query.position.col + problem.column - 1 },
    field: 'query',
    message: problem.message,
  };
}

/** The deprecated fields a document selects, where, and why (the schema's reason). */
function deprecatedFields(schema: GraphQLSchema, document: DocumentNode): QueryProblem[] {
  const found: QueryProblem[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(field) {
        const definition = typeInfo.getFieldDef();
        const parent = typeInfo.getParentType();
        if (!definition || definition.deprecationReason == null) return;
        const at = field.name.loc?.startToken ?? { line: 1, column: 1 };
        found.push({ message: `${parent?.name ?? '?'}.${definition.name} is deprecated: ${definition.deprecationReason}`, line: at.line, column: at.column });
      },
    }),
  );
  return found;
}

/**
 * Whether the config's query is a fragment (`fragment User on User { … }`: fetch by @key), and if
 * so the plan for it; a fragment without a supergraph to plan with is a problem. A text that does
 * not parse is left to checkQueryTemplate, which reports where.
 */
function fetchByKeyForm(
  config: IndexConfig,
  schema: GraphQLSchema,
  supergraph: SupergraphSource | null,
): { plan: FetchByKeyPlan | null; fragmentName: string } | { problem: ConfigProblem } {
  let document: DocumentNode;
  try {
    document = parse(config.query.text);
  } catch {
    return { plan: null, fragmentName: '' };
  }
  if (document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION)) {
    if (config.primary.key !== null) {
      return { problem: { file: config.sourceFile, position: config.primary.keyPosition, field: 'primary.key', message: 'a key is chosen only for a fragment query (fetch by @key); a query operation takes its key as variables' } };
    }
    return { plan: null, fragmentName: '' };
  }
  const fragments = document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION);
  const root = fragments.filter((fragment) => fragment.typeCondition.name.value === config.primary.type);
  const queryProblem = (message: string): { problem: ConfigProblem } => ({ problem: { file: config.sourceFile, position: config.query.position, field: 'query', message } });
  if (root.length !== 1 || !root[0]) {
    return queryProblem(`a query without an operation must be one fragment on primary.type (\`fragment ${config.primary.type} on ${config.primary.type} { … }\`), found ${root.length} on ${config.primary.type}`);
  }
  if (supergraph === null) {
    return queryProblem(`a fragment query fetches ${config.primary.type} by its @key, which needs the composed supergraph: set gateway.supergraph: <file> (or pass --schema <supergraph file>)`);
  }
  try {
    return { plan: planFetchByKey(supergraph, schema, config.primary.type, config.primary.key), fragmentName: root[0].name.value };
  } catch (error) {
    if (!(error instanceof FetchByKeyError)) throw error;
    const position = error.field === 'primary.key' && config.primary.key !== null ? config.primary.keyPosition : config.primary.typePosition;
    return { problem: { file: config.sourceFile, position, field: error.field, message: error.message } };
  }
}

/**
 * `backfill.query` checked like `query`: it must be valid against the schema (graphql's own
 * messages, with their did-you-means) and select one root field that lists ids: a Relay
 * connection when it declares `$after` (`pageInfo` and `edges` or `nodes`), else a list — paged by
 * `$offset`, or read in one page.
 */
function backfillQueryProblems(config: IndexConfig, schema: GraphQLSchema): ConfigProblem[] {
  const text = config.backfill.query;
  if (text === null) return [];
  const at = (line: number, column: number): SourcePosition => ({
    line: config.backfill.queryPosition.line + line - 1,
    col: config.backfill.queryPosition.col + column - 1,
  });
  const problem = (message: string, line = 1, column = 1): ConfigProblem => ({ file: config.sourceFile, position: at(line, column), field: 'backfill.query', message });
  let document: DocumentNode;
  try {
    document = parse(text);
  } catch (error) {
    const location = (error as GraphQLError).locations?.[0];
    return [problem((error as GraphQLError).message, location?.line, location?.column)];
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return errors.map((error) => problem(error.message, error.locations?.[0]?.line, error.locations?.[0]?.column));
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return [problem('must be a query')];
  const found: ConfigProblem[] = [];
  const where = (node: { loc?: { startToken: { line: number; column: number } } }): [number, number] => [node.loc?.startToken.line ?? 1, node.loc?.startToken.column ?? 1];
  const root = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
  const page = root[0];
  if (root.length !== 1 || !page) return [problem('must select exactly one root field, the list of ids (e.g. `products(first: 500, after: $after) { … }`)', ...where(operation))];
  if (pagingOf(text) === 'cursor') {
    const selected = new Set((page.selectionSet?.selections ?? []).flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])));
    if (!selected.has('pageInfo') || !(selected.has('edges') || selected.has('nodes'))) {
      found.push(problem('with $after, must select `pageInfo { endCursor hasNextPage }` and `edges { node { <id> } }` or `nodes { <id> }` (a Relay connection)', ...where(page)));
    }
  } else {
    const field = schema.getQueryType()?.getFields()[page.name.value];
    const type = field && (isNonNullType(field.type) ? field.type.ofType : field.type);
    if (!type || !isListType(type)) {
      found.push(problem('must be a Relay connection paged by `$after: String`, a list paged by `$offset: Int`, or a list read in one page', ...where(page)));
    }
  }
  return found;
}

/** The name of the argument of `field` whose value is `$name`, if any. */
function argumentTaking(field: FieldNode, name: string): string | undefined {
  return (field.arguments ?? []).find((argument) => argument.value.kind === Kind.VARIABLE && argument.value.name.value === name)?.name.value;
}
