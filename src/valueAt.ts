/**
 * The value at a path in a JSON object, or undefined: a dotted path (`cast.talent.name`), or its
 * segments, where a number indexes an array (`['primary', 'events', 0, 'topic']`).
 */
export function valueAt(source: unknown, path: string | readonly (string | number)[]): unknown {
  let current = source;
  for (const key of typeof path === 'string' ? path.split('.') : path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
