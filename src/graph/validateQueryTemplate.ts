import {
  getNamedType,
  GraphQLError,
  isNonNullType,
  Kind,
  parse,
  typeFromAST,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { ConfigError, type ConfigProblem } from '../config/configError.ts';
import type { IndexConfig, SourcePosition } from '../config/indexConfig.ts';
import { suggestionList } from '../generate/suggestionList.ts';

/** A query template that parses and validates against the graph, with its parts named. */
export interface QueryTemplate {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The one variable that receives the entity id, without `$`. */
  idVariable: string;
  /** Response key of the single root field; its value is the document. */
  rootKey: string;
  /** The root field's name in the schema (`movie`). */
  rootFieldName: string;
  /** The root field's argument that receives the id variable (`movie(movieId: $id)` → `movieId`). */
  idArgument: string;
  /** The GraphQL type of the document (the root field's named type). */
  entityType: GraphQLNamedType;
}

/**
 * Parses the config's query and checks it against the schema: graphql-js validation, one query
 * operation, exactly one non-null ID/String variable (the entity id), exactly one root field whose
 * type is `primary.type`. Every problem is reported with its position in the YAML file.
 */
export function validateQueryTemplate(config: IndexConfig, schema: GraphQLSchema): QueryTemplate {
  const problems: ConfigProblem[] = [];
  const report = (message: string, at: SourcePosition = config.query.position, field = 'query'): void =>
    void problems.push({ file: config.sourceFile, position: at, field, message });
  const inQuery = (error: GraphQLError): SourcePosition => {
    const location = error.locations?.[0];
    if (!location) return config.query.position;
    return { line: config.query.position.line + location.line - 1, col: config.query.position.col + location.column - 1 };
  };

  let document: DocumentNode;
  try {
    document = parse(config.query.text);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    report(error.message.replace(/^Syntax Error: /, 'GraphQL syntax error: '), inQuery(error));
    throw new ConfigError(problems);
  }
  for (const error of validate(schema, document)) report(error.message, inQuery(error));

  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operations[0];
  if (operations.length !== 1 || !operation) {
    report(`must hold exactly one operation, found ${operations.length}`);
    throw new ConfigError(problems);
  }
  const where = (node: { loc?: { startToken: { line: number; column: number } } | undefined }): SourcePosition =>
    node.loc
      ? { line: config.query.position.line + node.loc.startToken.line - 1, col: config.query.position.col + node.loc.startToken.column - 1 }
      : config.query.position;
  if (operation.operation !== 'query') report(`must be a query, not a ${operation.operation}`, where(operation));

  const variables = operation.variableDefinitions ?? [];
  const idVariable = variables[0];
  if (variables.length !== 1 || !idVariable) {
    report(
      `must declare exactly one variable, the entity id (e.g. \`query ($id: ID!)\`); found ${variables.length}` +
        (variables.length > 1 ? `: ${variables.map((v) => `$${v.variable.name.value}`).join(', ')}` : ''),
      where(operation),
    );
  } else {
    const type = typeFromAST(schema, idVariable.type);
    const named = type ? getNamedType(type).name : undefined;
    if (!type || !isNonNullType(type) || (named !== 'ID' && named !== 'String')) {
      report(`the id variable $${idVariable.variable.name.value} must be ID! or String!`, where(idVariable));
    }
  }

  const rootFields = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
  const rootField = rootFields[0];
  if (rootFields.length !== 1 || operation.selectionSet.selections.length !== 1 || !rootField) {
    report('must select exactly one root field, the entity (e.g. `movie(movieId: $id) { … }`)', where(operation.selectionSet));
    throw new ConfigError(problems);
  }
  const fieldDef = schema.getQueryType()?.getFields()[rootField.name.value];
  const entityType = fieldDef ? getNamedType(fieldDef.type) : undefined;
  if (entityType && entityType.name !== config.primary.type) {
    report(
      `the root field ${rootField.name.value} returns ${entityType.name}, but primary.type is ${config.primary.type}`,
      where(rootField),
    );
  }
  const idArgument = idVariable ? argumentTaking(rootField, idVariable.variable.name.value) : undefined;
  if (idVariable && idArgument === undefined) {
    report(`the root field ${rootField.name.value} must take $${idVariable.variable.name.value} as an argument`, where(rootField));
  }
  for (const [i, related] of config.related.entries()) {
    if (!schema.getType(related.type)) {
      const [suggestion] = suggestionList(related.type, Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith('__')));
      report(
        `type ${related.type} is not in the graph's schema${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
        related.position,
        `related[${i}].type`,
      );
    }
  }
  if (problems.length > 0 || !entityType || !idVariable || idArgument === undefined) throw new ConfigError(problems);
  return {
    document,
    operation,
    idVariable: idVariable.variable.name.value,
    rootKey: rootField.alias?.value ?? rootField.name.value,
    rootFieldName: rootField.name.value,
    idArgument,
    entityType,
  };
}

/** The name of the argument of `field` whose value is `$name`, if any. */
function argumentTaking(field: FieldNode, name: string): string | undefined {
  return (field.arguments ?? []).find((argument) => argument.value.kind === Kind.VARIABLE && argument.value.name.value === name)?.name.value;
}
