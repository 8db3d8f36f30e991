import { createHash } from 'node:crypto';
import { print, type GraphQLSchema } from 'graphql';
import type { FieldOptions, ScalarKind } from '../config/indexConfig.ts';
import type { QueryTemplate } from '../graph/validateQueryTemplate.ts';
import { fieldOptionProblems, FieldOptionsError } from './checkFieldOptions.ts';
import { documentFields, nestedObjectPaths, type DocumentField } from './documentFields.ts';
import { documentShape, type DocumentShape } from './documentShape.ts';

/**
 * What one index's documents are, worked out once from the checked query and the field options:
 * every layer (generators, pipeline, search, audit) reads these instead of deriving them again.
 */
export interface DocumentModel {
  shape: DocumentShape;
  /** The field options as configured, by dotted document path (checked against the shape). */
  fieldOptions: Record<string, FieldOptions>;
  /** The document's leaf fields with how they are indexed. */
  fields: DocumentField[];
  /** Paths of the objects indexed as `nested`, outermost first. */
  nestedPaths: string[];
  /** SHA-256 of the printed query: which query the documents (and the mapping) came from. */
  querySha256: string;
}

/**
 * The document model of a checked query template. Throws a UserError naming custom scalars
 * without a storage kind, and a FieldOptionsError listing every `fields:` problem.
 */
export function documentModel(
  schema: GraphQLSchema,
  template: Pick<QueryTemplate, 'document' | 'operation'>,
  options: { fields?: Record<string, FieldOptions>; scalars?: Record<string, ScalarKind> } = {},
): DocumentModel {
  const shape = documentShape(schema, template, options.scalars === undefined ? {} : { scalars: options.scalars });
  const fieldOptions = options.fields ?? {};
  const problems = fieldOptionProblems(shape, fieldOptions);
  if (problems.length > 0) throw new FieldOptionsError(problems);
  return {
    shape,
    fieldOptions,
    fields: documentFields(shape, fieldOptions),
    nestedPaths: nestedObjectPaths(shape, fieldOptions),
    querySha256: createHash('sha256').update(print(template.document)).digest('hex'),
  };
}
