/**
 * Configs that name an index an earlier one already names, each with that earlier config's file:
 * every command that takes several configs (`apply`, `serve`) refuses them, since each index has
 * one config — two would be served or provisioned from different queries.
 */
export function secondClaims(configs: ReadonlyArray<{ index: string; sourceFile: string }>): Array<{ index: string; file: string; first: string }> {
  const firstFile = new Map<string, string>();
  const second: Array<{ index: string; file: string; first: string }> = [];
  for (const { index, sourceFile } of configs) {
    const first = firstFile.get(index);
    if (first === undefined) firstFile.set(index, sourceFile);
    else second.push({ index, file: sourceFile, first });
  }
  return second;
}
