/** One field where the index and the graph disagree, as an operator reads it. */
export interface FieldDifference {
  /** Where in the document, list indexes included (`cast.2.talent.name`). */
  path: string;
  /** The same path without list indexes: the `fields:` path of the config (`cast.talent.name`). */
  fieldPath: string;
  /** Each value as JSON, cut to VALUE_CHARS; `truncated` says one was cut. */
  indexed: string;
  graph: string;
  truncated: boolean;
}

/** How much of a value a difference shows. */
export const VALUE_CHARS = 120;

/**
 * The fields where two documents differ, leaf by leaf (a list of another length, or a value of
 * another kind, is one difference at its path). Missing and null are the same: documents leave
 * out what the graph answered null.
 */
export function fieldDifferences(indexed: unknown, graph: unknown): FieldDifference[] {
  const differences: FieldDifference[] = [];
  const walk = (a: unknown, b: unknown, path: string[]): void => {
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], [...path, key]);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((item, index) => walk(item, b[index], [...path, String(index)]));
      return;
    }
    const left = a ?? null;
    const right = b ?? null;
    if (JSON.stringify(left) === JSON.stringify(right)) return;
    const [indexedText, indexedCut] = shown(left);
    const [graphText, graphCut] = shown(right);
    differences.push({
      path: path.join('.'),
      fieldPath: path.filter((part) => !/^\d+$/.test(part)).join('.'),
      indexed: indexedText,
      graph: graphText,
      truncated: indexedCut || graphCut,
    });
  };
  walk(indexed, graph, []);
  return differences;
}

/** A copy of a document without the given `fields:` paths (through lists), for an audit that leaves them out. */
export function withoutFields(document: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
  if (paths.length === 0) return document;
  const strip = (value: unknown, prefix: string): unknown => {
    if (Array.isArray(value)) return value.map((item) => strip(item, prefix));
    if (!isObject(value)) return value;
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (!paths.includes(path)) copy[key] = strip(inner, path);
    }
    return copy;
  };
  return strip(document, '') as Record<string, unknown>;
}

function shown(value: unknown): [string, boolean] {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > VALUE_CHARS ? [`${text.slice(0, VALUE_CHARS)}…`, true] : [text, false];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The `fields:` paths whose value changed between two reads of the graph in a row: a random or
 * time-based resolver, which no index can keep equal. A field is volatile when its path, or one
 * above or below it, changed.
 */
export function isVolatile(fieldPath: string, changedBetweenReads: ReadonlySet<string>): boolean {
  for (const changed of changedBetweenReads) {
    if (changed === fieldPath || fieldPath.startsWith(`${changed}.`) || changed.startsWith(`${fieldPath}.`)) return true;
  }
  return false;
}

/** The config line that leaves a field out of audits. */
export function auditExclusionLine(fieldPath: string): string {
  return `fields.${fieldPath}: { audit: false }`;
}
