/**
 * Values no message may print: what the config's `${VAR}`s were filled with, and credentials
 * written in the file. Process-wide on purpose: the value travels from the config into errors
 * thrown by every layer (a fetch refusing a header, a client naming a broker, a query problem), and
 * each of those reaches the user through one of three doors — the CLI's error line, a config
 * problem, a log line — which all pass their text through `withHiddenValues`. So the rule holds
 * for messages written later by code that never knew where the value came from.
 */
const labels = new Map<string, string>();
/** Built from `labels` when next needed: a config hides its values one by one, then many lines are written. */
let patterns: { pattern: RegExp; label: string }[] | null = [];

/**
 * Remembers `value` as one to hide, shown as `[value of <label>]` instead: label `$NAME` for a
 * variable, or the field (`gateway.headers.authorization`) for a credential written in the file.
 */
export function hideValue(value: string, label: string): void {
  if (value === '' || labels.has(value)) return;
  labels.set(value, label);
  patterns = null;
}

/** `text` with every remembered value replaced by its label. */
export function withHiddenValues(text: string): string {
  patterns ??= [...labels.entries()]
    // Longest first: a value that contains another is replaced whole.
    .sort(([a], [b]) => b.length - a.length)
    .flatMap(([hidden, name]) => forms(hidden).map((form) => ({ pattern: patternOf(form), label: `[value of ${name}]` })));
  let result = text;
  for (const { pattern, label } of patterns) result = result.replace(pattern, label);
  return result;
}

/**
 * The ways a value shows up in text: as it is, escaped inside a JSON string (a JSON log line, a
 * message quoting it), and for a URL the form `new URL` prints and the one without credentials
 * that redactUrl prints.
 */
function forms(value: string): string[] {
  const found = new Set([value, JSON.stringify(value).slice(1, -1)]);
  try {
    const url = new URL(value);
    found.add(url.toString());
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    found.add(url.toString());
  } catch {
    // Not a URL.
  }
  return [...found];
}

/**
 * A value of fewer than 4 characters is hidden only where it stands alone (not inside a word or a
 * number): replacing every "3" would make `line 3` unreadable, and so short a value is no secret.
 */
function patternOf(value: string): RegExp {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(value.length < 4 ? `(?<![\\w])${escaped}(?![\\w])` : escaped, 'g');
}
