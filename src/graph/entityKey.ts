// How an entity's key becomes the one string fedsearch carries everywhere (events, the
// Elasticsearch `_id`, dead letters, checkpoints, --ids-file lines) and back into the variables of
// a fetch. A key of one field is its value as written (`mov-1`, `42`). A composite key
// (`@key(fields: "sku package")`, `sku variation { id }`) is a JSON object of its fields by
// document path, in the key's order: `{"sku":"s-1","package":"box"}`,
// `{"sku":"s-1","variation.id":"v-7"}` — stable (same key, same string), reversible, readable.

/** GraphQL's Int is a signed 32-bit integer. */
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** How a key field's value is sent: a number for `Int`, the string itself otherwise. */
export type IdKind = 'string' | 'int';

/** One field of an entity's key, as the query template receives it. */
export interface KeyPart {
  /** The operation variable (without `$`) that receives this field. */
  variable: string;
  /** The root field's argument that takes the variable (`movie(movieId: $id)` → `movieId`). */
  argument: string;
  /** Where the field's value is in the document (`movieId`, `variation.id`). */
  documentPath: string;
  /** The field's scalar: `ID`, `String`, `Int` or a custom one. */
  typeName: string;
  kind: IdKind;
}

/** The id string of a key whose field values are `values` (in `key` order). */
export function encodeId(key: readonly KeyPart[], values: readonly (string | number)[]): string {
  if (key.length === 1) return String(values[0]);
  return JSON.stringify(Object.fromEntries(key.map((part, index) => [part.documentPath, values[index]])));
}

/**
 * The values an id stands for, in `key` order, ready to send (numbers for Int fields); or why the
 * id cannot be one of this key.
 */
export function decodeId(key: readonly KeyPart[], id: string): { values: Array<string | number> } | { problem: string } {
  const shown = JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id);
  let raw: unknown[];
  if (key.length === 1) raw = [id];
  else {
    let object: unknown;
    try {
      object = JSON.parse(id);
    } catch {
      object = null;
    }
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      return { problem: `the id ${shown} is not a composite key (a JSON object of ${key.map((part) => part.documentPath).join(', ')})` };
    }
    const record = object as Record<string, unknown>;
    const missing = key.filter((part) => record[part.documentPath] === undefined || record[part.documentPath] === null);
    if (missing.length > 0) return { problem: `the id ${shown} has no ${missing.map((part) => part.documentPath).join(', ')}` };
    raw = key.map((part) => record[part.documentPath]);
  }
  const values: Array<string | number> = [];
  for (const [index, part] of key.entries()) {
    const value = raw[index];
    if (typeof value !== 'string' && typeof value !== 'number') return { problem: `the id ${shown} has a ${typeof value} for ${part.documentPath}` };
    if (part.kind === 'int') {
      const number = typeof value === 'number' ? value : /^-?\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
      if (!Number.isInteger(number) || number < INT_MIN || number > INT_MAX) {
        return { problem: `the id ${shown} is not an Int${key.length > 1 ? ` at ${part.documentPath}` : ''}, which $${part.variable} takes` };
      }
      values.push(number);
    } else values.push(String(value));
  }
  return { values };
}

/** The id of the entity a document (or a list item, a reference) describes, or null when a key field is absent. */
export function idOfDocument(key: readonly KeyPart[], document: Record<string, unknown>): string | null {
  const values: Array<string | number> = [];
  for (const part of key) {
    let value: unknown = document;
    for (const segment of part.documentPath.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
    if (typeof value !== 'string' && typeof value !== 'number') return null;
    values.push(value);
  }
  return encodeId(key, values);
}
