/** A mapping (or sub-mapping) as Elasticsearch returns it: `{ properties: { … } }`, types, params. */
export type MappingNode = Record<string, unknown>;

export interface MappingDifference {
  /** Fields the desired mapping adds: put them on the live index. */
  additions: string[];
  /** Changes a live index cannot take (type, analyzer, nested ⇄ object): reindex to a new version. */
  incompatible: string[];
  /** Fields the live index has that the query no longer fetches: harmless, left in place. */
  unused: string[];
}

// Parameters Elasticsearch lets you change on an existing field with a plain put-mapping.
const UPDATABLE_PARAMS = new Set(['ignore_above', 'search_analyzer', 'search_quote_analyzer', 'meta']);

/**
 * How the live index's mapping differs from the desired one: which additions can be applied in
 * place, and which differences need a new index version. Root `_meta`/`dynamic` are ignored
 * (put-mapping can change them).
 */
export function compareMappings(live: MappingNode, desired: MappingNode): MappingDifference {
  const difference: MappingDifference = { additions: [], incompatible: [], unused: [] };
  compareProperties(properties(live), properties(desired), '', difference);
  return difference;
}

function compareProperties(
  live: Record<string, MappingNode>,
  desired: Record<string, MappingNode>,
  prefix: string,
  difference: MappingDifference,
): void {
  for (const [name, want] of Object.entries(desired)) {
    const path = `${prefix}${name}`;
    const have = live[name];
    if (!have) {
      difference.additions.push(path);
      continue;
    }
    const haveType = typeOf(have);
    const wantType = typeOf(want);
    if (haveType !== wantType) {
      difference.incompatible.push(`${path}: ${haveType} → ${wantType}`);
      continue;
    }
    for (const key of new Set([...Object.keys(have), ...Object.keys(want)])) {
      if (key === 'properties' || key === 'fields' || key === 'type' || UPDATABLE_PARAMS.has(key)) continue;
      if (JSON.stringify(have[key]) !== JSON.stringify(want[key])) {
        difference.incompatible.push(`${path}: ${key} ${JSON.stringify(have[key])} → ${JSON.stringify(want[key])}`);
      }
    }
    compareProperties(properties(have), properties(want), `${path}.`, difference);
    compareProperties(multiFields(have), multiFields(want), `${path}.`, difference);
  }
  for (const name of Object.keys(live)) if (!(name in desired)) difference.unused.push(`${prefix}${name}`);
}

function typeOf(node: MappingNode): string {
  return typeof node.type === 'string' ? node.type : 'object';
}

function properties(node: MappingNode): Record<string, MappingNode> {
  return (node.properties as Record<string, MappingNode> | undefined) ?? {};
}

function multiFields(node: MappingNode): Record<string, MappingNode> {
  return (node.fields as Record<string, MappingNode> | undefined) ?? {};
}
