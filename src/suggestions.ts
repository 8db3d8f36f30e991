/**
 * The one did-you-mean wording of fedsearch, for any list of suggestions (best first):
 * ` (did you mean title?)`, ` (did you mean a, b or c?)`, or '' when there is none. Callers quote
 * the names the way their context quotes names, so one wording reads right everywhere.
 */
export function didYouMean(suggestions: readonly string[], max = 3): string {
  const shown = suggestions.slice(0, max);
  if (shown.length === 0) return '';
  const list = shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
  return ` (did you mean ${list}?)`;
}

/**
 * The options close enough to `input` to be what was meant, best first — graphql-js's
 * `suggestionList` idea (it does not export it): optimal string alignment distance, at most 40%
 * of the input's length, and a change of letter case alone counts as one edit.
 */
export function suggestionList(input: string, options: readonly string[]): string[] {
  const threshold = Math.floor(input.length * 0.4) + 1;
  const lowerInput = input.toLowerCase();
  const distances = new Map<string, number>();
  for (const option of options) {
    const lowerOption = option.toLowerCase();
    const distance = lowerOption === lowerInput ? (option === input ? 0 : 1) : editDistance(lowerInput, lowerOption, threshold);
    if (distance <= threshold) distances.set(option, distance);
  }
  return [...distances.keys()].sort((a, b) => (distances.get(a) ?? 0) - (distances.get(b) ?? 0) || a.localeCompare(b));
}

/** Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`; above `limit` → limit + 1. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  // Three rows suffice: transpositions look back two.
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMinimum = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (beforePrevious[j - 2] ?? 0) + 1);
      }
      current.push(best);
      rowMinimum = Math.min(rowMinimum, best);
    }
    if (rowMinimum > limit) return limit + 1;
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}
