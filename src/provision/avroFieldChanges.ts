/** An Avro schema as JSON: a name, a record, an enum, an array, or a union (a list). */
type AvroJson = string | AvroJson[] | { type: string; name?: string; fields?: Array<{ name: string; type: AvroJson }>; symbols?: string[]; items?: AvroJson };

/**
 * Every document field whose Avro type differs between two schemas of one index, as
 * `path: before → after` (`title: string → null | string`, `cast.role: enum TalentRole, symbols
 * added: STUNT`), walking records by field name. Docs are left out: descriptions change nothing a
 * document holds.
 */
export function avroFieldChanges(before: object, after: object): string[] {
  const changes: string[] = [];
  compareRecords(before as AvroJson, after as AvroJson, '', changes);
  return changes;
}

function compareRecords(before: AvroJson, after: AvroJson, prefix: string, changes: string[]): void {
  const beforeFields = fieldsOf(before);
  const afterFields = new Map(fieldsOf(after).map((field) => [field.name, field.type]));
  for (const field of beforeFields) {
    const path = `${prefix}${field.name}`;
    const next = afterFields.get(field.name);
    if (next === undefined) {
      changes.push(`${path}: no longer in the documents`);
      continue;
    }
    compareTypes(field.type, next, path, changes);
  }
  const known = new Set(beforeFields.map((field) => field.name));
  for (const name of afterFields.keys()) if (!known.has(name)) changes.push(`${prefix}${name}: new in the documents`);
}

function compareTypes(before: AvroJson, after: AvroJson, path: string, changes: string[]): void {
  const innerBefore = container(before);
  const innerAfter = container(after);
  if (spelling(before) !== spelling(after)) {
    changes.push(`${path}: ${spelling(before)} → ${spelling(after)}`);
    return;
  }
  if (isObject(innerBefore) && isObject(innerAfter)) {
    if (innerBefore.type === 'record') compareRecords(innerBefore, innerAfter, `${path}.`, changes);
    else if (innerBefore.type === 'array' && innerBefore.items !== undefined && innerAfter.items !== undefined) compareTypes(innerBefore.items, innerAfter.items, path, changes);
    return;
  }
  const symbolsBefore = symbolsOf(before);
  const symbolsAfter = symbolsOf(after);
  const added = symbolsAfter.filter((symbol) => !symbolsBefore.includes(symbol));
  const removed = symbolsBefore.filter((symbol) => !symbolsAfter.includes(symbol));
  if (added.length > 0) changes.push(`${path}: enum symbols added: ${added.join(', ')}`);
  if (removed.length > 0) changes.push(`${path}: enum symbols removed: ${removed.join(', ')}`);
}

/** The record or array a type is, or holds under a nullable union. */
function container(type: AvroJson): AvroJson | undefined {
  return (Array.isArray(type) ? type : [type]).find((branch) => isObject(branch) && (branch.type === 'record' || branch.type === 'array'));
}

/** The type as written, records and enums by name only (their insides are compared on their own). */
function spelling(type: AvroJson): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.map(spelling).join(' | ');
  if (type.type === 'array') return `array<${type.items === undefined ? '?' : spelling(type.items)}>`;
  return `${type.type} ${type.name ?? ''}`.trim();
}

function isObject(type: AvroJson | undefined): type is Exclude<AvroJson, string | AvroJson[]> {
  return type !== undefined && typeof type === 'object' && !Array.isArray(type);
}

function fieldsOf(type: AvroJson): Array<{ name: string; type: AvroJson }> {
  return isObject(type) ? (type.fields ?? []) : [];
}

/** The enum symbols under any union or array. */
function symbolsOf(type: AvroJson): string[] {
  if (Array.isArray(type)) return type.flatMap(symbolsOf);
  if (!isObject(type)) return [];
  if (type.type === 'enum') return type.symbols ?? [];
  return type.type === 'array' && type.items !== undefined ? symbolsOf(type.items) : [];
}
