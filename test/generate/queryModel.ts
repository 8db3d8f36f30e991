import { Kind, parse, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { FieldOptions, ScalarKind } from '../../src/config/indexConfig.ts';
import { generateAvroSchema, type GeneratedAvroSchema } from '../../src/generate/generateAvroSchema.ts';
import { generateIndexTemplate, type IndexTemplateOptions } from '../../src/generate/generateIndexTemplate.ts';
import { documentModel, type DocumentModel } from '../../src/index/documentModel.ts';
import type { IndexTemplate } from '../../src/index/mappingTypes.ts';

/**
 * A query for the shape and generator tests: parsed, its operation named, and not put through
 * checkQueryTemplate (those rules have tests of their own), so a test can look at any shape.
 */
export function parsedQuery(query: string | DocumentNode): { document: DocumentNode; operation: OperationDefinitionNode } {
  const document = typeof query === 'string' ? parse(query) : query;
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operation === undefined) throw new Error('the test query has no operation');
  return { document, operation };
}

interface ModelOptions {
  fields?: Record<string, FieldOptions>;
  scalars?: Record<string, ScalarKind>;
}

export function modelOf(schema: GraphQLSchema, query: string | DocumentNode, options: ModelOptions = {}): DocumentModel {
  return documentModel(schema, parsedQuery(query), options);
}

/** The Avro schema of a query's documents, as `fedsearch generate avro` makes it. */
export function avroOf(schema: GraphQLSchema, query: string | DocumentNode, options: ModelOptions & { index: string }): GeneratedAvroSchema {
  return generateAvroSchema(modelOf(schema, query, options).shape, options);
}

/** The index template of a query's documents, as `fedsearch generate template` makes it. */
export function templateOf(schema: GraphQLSchema, query: string | DocumentNode, options: ModelOptions & IndexTemplateOptions): IndexTemplate {
  return generateIndexTemplate(modelOf(schema, query, options), options);
}
