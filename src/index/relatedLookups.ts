import type { ConfigProblem } from '../config/configError.ts';
import type { IndexConfig, RelatedEntity } from '../config/indexConfig.ts';
import type { KeyPart } from '../graph/entityKey.ts';
import { entityKeys, fieldSetPaths, type SupergraphSource } from '../graph/supergraph.ts';
import { didYouMean, suggestionList } from '../suggestions.ts';
import type { DocumentField } from './documentFields.ts';
import type { LeafShape, ObjectShape } from './documentShape.ts';

/**
 * Where the documents hold one related entity's key: the one home of that fact, read by the
 * enrich stage's reverse lookups and by `fedsearch plan`. A key of one field is one path
 * (`cast.talent.talentId`); a composite key is a path per key field, all in one object
 * (`items.sku`, `items.package`), and a change event of the entity names the same fields.
 */
export interface RelatedLookup {
  type: string;
  /**
   * The related entity's key as its change events give it, one part per key field (`documentPath`
   * is the key field, `sku`), so event ids and lookup ids are encoded alike (entityKey.ts).
   */
  key: KeyPart[];
  /** The document path holding each key part, in key order. */
  paths: string[];
}

/** Where a related entity's lookup searches the index. */
export interface LookupFields {
  /** The document paths, in key order. */
  paths: string[];
  /** The field queried for each path: its exact (keyword) form. */
  exactFields: string[];
  /** The nested object the paths are in, for a nested query; null outside one. */
  nestedPath: string | null;
}

/** The fields `lookup` searches, read from the index's fields (the one place the enrich stage and `fedsearch plan` get them). */
export function lookupFields(lookup: Pick<RelatedLookup, 'paths'>, fields: readonly DocumentField[]): LookupFields {
  const byPath = lookup.paths.map((path) => fields.find((field) => field.path === path));
  return {
    paths: lookup.paths,
    exactFields: byPath.map((field, i) => field?.exactField ?? (lookup.paths[i] as string)),
    nestedPath: byPath[0]?.nestedPath ?? null,
  };
}

interface LookupPair {
  keyField: string;
  path: string;
}

/**
 * Every related entity's lookup resolved against the document (aligned with `config.related`),
 * and what is wrong with them (`indexedPaths`: the document's indexed leaves): a path that is not a scalar of the document, an object whose key
 * fields are not named, key fields in two objects, a lookup in an object of another type, events
 * that name other key fields than the lookup reads, and — with the supergraph — a related type
 * that is not an entity or a lookup that is not one of its `@key`s.
 */
export function resolveRelatedLookups(
  config: IndexConfig,
  root: ObjectShape,
  indexedPaths: ReadonlySet<string>,
  supergraph: SupergraphSource | null,
): { lookups: RelatedLookup[]; problems: ConfigProblem[] } {
  // A field left out of the index (`excluded`) cannot be looked up.
  const nodes = nodesByPath(root);
  const leaves = new Map([...nodes.leaves].filter(([path]) => indexedPaths.has(path)));
  const { objects } = nodes;
  const problems: ConfigProblem[] = [];
  const lookups: RelatedLookup[] = [];
  for (const [i, related] of config.related.entries()) {
    const report = (message: string, field = `related[${i}].lookup`): void =>
      void problems.push({ file: config.sourceFile, position: related.lookupPosition, field, message });
    const pairs = lookupPairs(related, i, leaves, objects, report);
    if (pairs === null) continue;
    const before = problems.length;
    const parents = new Set(pairs.map((pair) => parentOf(pair.path)));
    if (parents.size > 1) report(`the fields of a composite key must be read from one object, found ${pairs.map((pair) => pair.path).join(', ')}`);
    const typeProblem = lookupTypeProblem(pairs[0]?.path ?? '', related.type, objects);
    if (typeProblem) report(typeProblem);
    problems.push(...eventProblems(config, i, related, pairs));
    if (supergraph) problems.push(...entityKeyProblems(config, i, related, pairs, supergraph));
    if (problems.length > before) continue;
    lookups.push({
      type: related.type,
      key: pairs.map((pair) => {
        const leaf = leaves.get(pair.path) as LeafShape;
        return { variable: pair.keyField, argument: pair.keyField, documentPath: pair.keyField, typeName: leaf.typeName, kind: leaf.storage === 'integer' ? 'int' : 'string' };
      }),
      paths: pairs.map((pair) => pair.path),
    });
  }
  return { lookups, problems };
}

/** The key fields a lookup reads and where, or null (reported) when its paths are not in the document. */
function lookupPairs(
  related: RelatedEntity,
  index: number,
  leaves: ReadonlyMap<string, LeafShape>,
  objects: ReadonlyMap<string, ObjectShape>,
  report: (message: string, field?: string) => void,
): LookupPair[] | null {
  const leafPaths = [...leaves.keys()];
  const notAScalar = (path: string): string => {
    const object = objects.get(path);
    const hint = object
      ? `; it is an object, name its id field (e.g. ${leafPaths.find((p) => p.startsWith(`${path}.`))})`
      : didYouMean(suggestionList(path, leafPaths).slice(0, 1));
    return `${path} is not a scalar field of the query's document${hint}`;
  };
  if (related.lookupPaths) {
    const pairs = Object.entries(related.lookupPaths).map(([keyField, path]) => ({ keyField, path }));
    const missing = pairs.filter((pair) => !leaves.has(pair.path));
    for (const pair of missing) report(notAScalar(pair.path), `related[${index}].lookup.${pair.keyField}`);
    return missing.length > 0 || pairs.length === 0 ? null : pairs;
  }
  if (leaves.has(related.lookup)) return [{ keyField: related.lookup.slice(related.lookup.lastIndexOf('.') + 1), path: related.lookup }];
  // An object: its key fields are the ones the events name.
  const eventFields = related.events.find((source) => source.idPaths)?.idPaths;
  if (objects.has(related.lookup) && related.lookup !== '' && eventFields) {
    const pairs = Object.keys(eventFields).map((keyField) => ({ keyField, path: `${related.lookup}.${keyField}` }));
    const missing = pairs.filter((pair) => !leaves.has(pair.path));
    if (missing.length > 0) {
      report(`${related.lookup} holds no ${missing.map((pair) => pair.keyField).join(', ')} in the query's document (the key fields its events name); select ${missing.length > 1 ? 'them' : 'it'}`);
      return null;
    }
    return pairs;
  }
  report(notAScalar(related.lookup));
  return null;
}

/**
 * A related entity's events must name the key the lookup reads: one id for a one-field lookup,
 * the same key fields for a composite one (`id: { sku: after.sku, package: after.package }`).
 */
function eventProblems(config: IndexConfig, index: number, related: RelatedEntity, pairs: LookupPair[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const fields = pairs.map((pair) => pair.keyField);
  for (const [j, source] of related.events.entries()) {
    const at = (message: string): void =>
      void problems.push({ file: config.sourceFile, position: source.position, field: `related[${index}].events[${j}].id`, message });
    if (source.idPaths) {
      const given = Object.keys(source.idPaths);
      if (given.length !== fields.length || given.some((field) => !fields.includes(field))) {
        at(`names ${given.join(', ')}, but the lookup reads ${related.type}'s ${fields.join(', ')}`);
      }
    } else if (!source.idFromKey && fields.length > 1) {
      at(`the lookup reads ${fields.length} key fields of ${related.type} (${fields.join(', ')}): give an event path for each, e.g. id: { ${fields.map((field) => `${field}: after.${field.replaceAll('.', '_')}`).join(', ')} }`);
    }
  }
  return problems;
}

/**
 * With the supergraph at hand (`gateway.supergraph`, or `--schema <supergraph>`), a related entity
 * must be an entity, and a lookup inside an object must read one of its `@key`s, field for field:
 * a related change event names the entity by its key, so a lookup on any other field never
 * matches. (A gateway's introspection shows no `@key`, so without the supergraph this is not
 * checked.) A lookup on a field of the root (a foreign key, `productionId`) names no type's key.
 */
function entityKeyProblems(config: IndexConfig, index: number, related: RelatedEntity, pairs: LookupPair[], supergraph: SupergraphSource): ConfigProblem[] {
  const keys = [...new Set(entityKeys(supergraph, related.type).map((key) => key.fields))];
  const problem = (message: string, field: string, position = related.lookupPosition): ConfigProblem[] => [{ file: config.sourceFile, position, field, message }];
  if (keys.length === 0) {
    return problem(`${related.type} is not an entity (no subgraph declares @key on it): its change events cannot name it by a key the documents hold`, `related[${index}].type`, related.position);
  }
  if (pairs.length === 1 && !pairs[0]?.path.includes('.')) return [];
  const fields = pairs.map((pair) => pair.keyField);
  const matches = keys.some((key) => {
    const keyFields = fieldSetPaths(key);
    return keyFields.length === fields.length && keyFields.every((field) => fields.includes(field));
  });
  if (matches) return [];
  const parent = parentOf(pairs[0]?.path ?? '');
  const single = keys.filter((key) => fieldSetPaths(key).length === 1);
  const suggestion = pairs.length === 1 && single[0] ? didYouMean([`${parent}.${single[0]}`]) : '';
  return problem(
    `${fields.join(' ')} is not a @key of ${related.type} (its keys: ${keys.map((key) => `"${key}"`).join(', ')}), so its reverse lookups would never match${suggestion}`,
    `related[${index}].lookup`,
  );
}

/**
 * A lookup inside an object (`cast.talent.talentId`) must be a field of the related type — that
 * object's type, or an interface or union that includes it — or the reverse lookups would never
 * match. A field of the root (`productionId`, a foreign key) names no type and is not checked.
 */
function lookupTypeProblem(lookup: string, relatedType: string, objects: ReadonlyMap<string, ObjectShape>): string | null {
  const parentPath = parentOf(lookup);
  const parent = objects.get(parentPath);
  if (parentPath === '' || !parent || parent.typeName === relatedType || parent.possibleTypes.includes(relatedType)) return null;
  const key = lookup.slice(lookup.lastIndexOf('.') + 1);
  const candidates = [...objects.values()]
    .filter((object) => object.path !== '' && (object.typeName === relatedType || object.possibleTypes.includes(relatedType)))
    .map((object) => `${object.path}.${object.fields.some((field) => field.key === key) ? key : (object.fields.find((field) => field.kind !== 'object' && field.kind !== 'abstract')?.key ?? key)}`);
  return `${lookup} is a field of ${parent.typeName} (at ${parentPath}), not of ${relatedType}, so its reverse lookups would never match${didYouMean(candidates.slice(0, 1))}`;
}

function parentOf(path: string): string {
  return path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
}

/** Every object ('' the root) and every scalar or enum of the document, by path, in one walk. */
function nodesByPath(root: ObjectShape): { objects: Map<string, ObjectShape>; leaves: Map<string, LeafShape> } {
  const objects = new Map<string, ObjectShape>([[root.path, root]]);
  const leaves = new Map<string, LeafShape>();
  const visit = (node: ObjectShape): void => {
    for (const child of node.fields) {
      if (child.kind === 'scalar' || child.kind === 'enum') leaves.set(child.path, child);
      else {
        objects.set(child.path, child);
        visit(child);
      }
    }
  };
  visit(root);
  return { objects, leaves };
}
