import type { FieldOptions } from '../config/indexConfig.ts';
import type { DocumentShape, LeafStorage, ShapeNode } from './documentShape.ts';
import { leafMapping } from './leafMapping.ts';
import type { LeafMapping } from './leafMapping.ts';

/** One leaf of the document as searches see it: where to send which kind of condition. */
export interface DocumentField extends Omit<LeafMapping, 'property'> {
  /** Dotted response keys, e.g. `cast.talent.name`. */
  path: string;
  /** The GraphQL named type, e.g. `String`, `ProductionStatus`. */
  graphqlType: string;
  kind: 'scalar' | 'enum';
  storage: LeafStorage;
  /** The GraphQL enum's values, for checking filter values; null for scalars. */
  enumValues: string[] | null;
  /** A list on the way from the root, so a document may hold several values. */
  multiValued: boolean;
  /** Inside a `nested` object: conditions must go in a `nested` query on nestedPath. */
  nested: boolean;
  /** The innermost `nested` ancestor, e.g. `cast`; null when not nested. */
  nestedPath: string | null;
  /** Every `nested` ancestor, outermost first. */
  nestedPaths: string[];
  facet: boolean;
  sortable: boolean;
}

/**
 * The objects indexed as `nested` (their own Lucene documents), outermost first: those with
 * `nested: true` that are not inside an excluded object. The one place this is decided; the
 * mapping, the field list, reverse lookups and searches all read it from the index model.
 */
export function nestedObjectPaths(shape: DocumentShape, fields: Record<string, FieldOptions> = {}): string[] {
  const paths: string[] = [];
  const walk = (nodes: ShapeNode[]): void => {
    for (const node of nodes) {
      if (node.kind === 'scalar' || node.kind === 'enum') continue;
      const options = fields[node.path] ?? {};
      if (options.excluded === true) continue;
      if (options.nested === true) paths.push(node.path);
      walk(node.fields);
    }
  };
  walk(shape.root.fields);
  return paths;
}

/**
 * The document's leaf fields with how they are indexed under the given (checked) options, in query
 * order — what the search DSL and the config validator resolve field names against. Leaves inside
 * an excluded object are listed as not indexed, so a search on them can say so instead of "unknown".
 */
export function documentFields(shape: DocumentShape, fields: Record<string, FieldOptions> = {}): DocumentField[] {
  const nestedObjects = new Set(nestedObjectPaths(shape, fields));
  const listed: DocumentField[] = [];
  const walk = (nodes: ShapeNode[], nestedPaths: string[], multiValued: boolean, excluded: boolean): void => {
    for (const node of nodes) {
      const options = fields[node.path] ?? {};
      const many = multiValued || node.listDepth > 0;
      if (node.kind !== 'scalar' && node.kind !== 'enum') {
        const nested = nestedObjects.has(node.path);
        walk(node.fields, nested ? [...nestedPaths, node.path] : nestedPaths, many, excluded || options.excluded === true);
        continue;
      }
      const { property: _property, ...mapping } = leafMapping(node, excluded ? { excluded: true } : options);
      listed.push({
        path: node.path,
        graphqlType: node.typeName,
        kind: node.kind,
        storage: node.storage,
        enumValues: node.kind === 'enum' ? node.values : null,
        multiValued: many,
        nested: nestedPaths.length > 0,
        nestedPath: nestedPaths.at(-1) ?? null,
        nestedPaths,
        facet: mapping.indexed && options.facet === true,
        sortable: mapping.indexed && options.sortable === true,
        ...mapping,
      });
    }
  };
  walk(shape.root.fields, [], false, false);
  return listed;
}
