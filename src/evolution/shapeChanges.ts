import type { ObjectShape, ShapeNode } from '../index/documentShape.ts';

/** How one document field the query selects changes shape between two graphs. */
export interface ShapeChange {
  /** Dotted document path (`cast.role`). */
  path: string;
  /** The schema field it is (`CastMember.role`). */
  field: string;
  /** What changes, in words: `String! → String (now nullable)`, `enum values added: PRODUCER`. */
  change: string;
}

/**
 * Every field whose stored shape differs between the old and the new document shape of one query:
 * the leaf's storage (type), nullability, list-ness, enum values, object ⇄ leaf. Descriptions
 * are left out: they change neither the mapping nor what a document can hold.
 */
export function shapeChanges(before: ObjectShape, after: ObjectShape): ShapeChange[] {
  const changes: ShapeChange[] = [];
  compareFields(before, after, changes);
  return changes;
}

function compareFields(before: ObjectShape, after: ObjectShape, changes: ShapeChange[]): void {
  const afterByKey = new Map(after.fields.map((field) => [field.key, field]));
  for (const old of before.fields) {
    const next = afterByKey.get(old.key);
    const parts = next ? leafChanges(old, next) : ['no longer in the document'];
    if (parts.length > 0) changes.push({ path: old.path, field: `${before.typeName}.${old.fieldName}`, change: parts.join('; ') });
    if (next && (old.kind === 'object' || old.kind === 'abstract') && (next.kind === 'object' || next.kind === 'abstract')) compareFields(old, next, changes);
  }
}

/** What differs in one field's own type and storage (an object's fields are compared on their own). */
function leafChanges(old: ShapeNode, next: ShapeNode): string[] {
  const parts: string[] = [];
  if (typeSpelling(old) !== typeSpelling(next)) parts.push(`${typeSpelling(old)} → ${typeSpelling(next)}${wrappingChange(old, next)}`);
  if (old.kind !== next.kind || leafStorage(old) !== leafStorage(next)) {
    parts.push(`stored as ${storageOf(old)}, now ${storageOf(next)}`);
  } else if (old.kind === 'enum' && next.kind === 'enum') {
    const added = next.values.filter((value) => !old.values.includes(value));
    const removed = old.values.filter((value) => !next.values.includes(value));
    if (added.length > 0) parts.push(`enum ${next.typeName} values added: ${added.join(', ')}`);
    if (removed.length > 0) parts.push(`enum ${next.typeName} values removed: ${removed.join(', ')}`);
  }
  return parts;
}

/** `[String!]!` spelled from a shape node's wrappers. */
function typeSpelling(node: ShapeNode): string {
  let spelled = node.typeName;
  for (let level = node.listDepth; level >= 0; level--) {
    if (node.nonNull[level] === true) spelled = `${spelled}!`;
    if (level > 0) spelled = `[${spelled}]`;
  }
  return spelled;
}

function wrappingChange(before: ShapeNode, after: ShapeNode): string {
  if (before.listDepth !== after.listDepth) return after.listDepth > before.listDepth ? ' (now a list)' : ' (no longer a list)';
  if (before.typeName !== after.typeName) return '';
  const loosened = before.nonNull.some((nonNull, level) => nonNull && after.nonNull[level] !== true);
  const tightened = after.nonNull.some((nonNull, level) => nonNull && before.nonNull[level] !== true);
  if (loosened) return ' (now nullable)';
  if (tightened) return ' (now non-null)';
  return '';
}

function leafStorage(node: ShapeNode): string {
  return node.kind === 'scalar' || node.kind === 'enum' ? node.storage : '';
}

function storageOf(node: ShapeNode): string {
  return node.kind === 'scalar' ? node.storage : node.kind === 'enum' ? 'an enum (keyword)' : 'an object';
}
