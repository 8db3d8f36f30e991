import type { DeadLetter } from './deadLetters.ts';

/**
 * Where a letter stands: `waiting` for an automatic retry (the graph's failure, see
 * deadLetterRetry.ts); `permanent` — left for `fedsearch replay`; `retried` — handled by the
 * automatic retries already (its document written, or sent back as a newer letter), shown with `--all` only.
 */
export type LetterState = 'waiting' | 'permanent' | 'retried';

/** A letter as the summary reads it: the letter, when it was written (ISO 8601), where it stands, and when it is retried next (waiting ones). */
export interface DatedLetter {
  letter: DeadLetter;
  at: string;
  state?: LetterState;
  nextRetryAt?: string;
}

/** Letters of one subgraph (the team to call) failing for one reason. */
export interface LetterGroup {
  /** The subgraph the letters name; `(none)` for letters of no fetch (an unreadable event, a refused document). */
  subgraph: string;
  /** The error code and where in the document (`FAULT_INJECTED at cast.talent`), else the reason with its ids and numbers masked. */
  reason: string;
  state: LetterState;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** A few entity ids (or, for an event, topic/partition/offset) to look at. */
  examples: string[];
  /** One letter's reason in full, as written. */
  exampleReason: string;
  /** The earliest next automatic retry of the group's letters (waiting ones), else null. */
  nextRetry: string | null;
  /** The most automatic retries any of its letters has had. */
  attempts: number;
}

export interface LetterSummary {
  topic: string;
  /** Letters summarised (not yet replayed, unless every letter was asked for). */
  letters: number;
  /** Of those, letters waiting for an automatic retry (one per entity), and letters left for replay by hand. */
  waiting: number;
  permanent: number;
  /** Letters before those that `replay` has handled already (still in the topic until its retention). */
  replayedBefore: number;
  groups: LetterGroup[];
}

/** What a letter that names no subgraph is grouped under. */
export const NO_SUBGRAPH = '(none)';

/** Letters grouped by subgraph and reason, the largest group first. */
export function groupLetters(letters: readonly DatedLetter[], examplesPerGroup = 3): LetterGroup[] {
  const groups = new Map<string, LetterGroup>();
  for (const { letter, at, state = 'permanent', nextRetryAt } of letters) {
    const subgraph = letter.fault?.subgraph ?? NO_SUBGRAPH;
    const reason = reasonClass(letter);
    const key = `${subgraph}\u0000${reason}\u0000${state}`;
    const group = groups.get(key) ?? { subgraph, reason, state, count: 0, firstSeen: at, lastSeen: at, examples: [], exampleReason: letter.reason, nextRetry: null, attempts: 0 };
    group.count++;
    if (nextRetryAt !== undefined && (group.nextRetry === null || nextRetryAt < group.nextRetry)) group.nextRetry = nextRetryAt;
    group.attempts = Math.max(group.attempts, letter.retry?.attempts ?? 0);
    if (at < group.firstSeen) group.firstSeen = at;
    if (at > group.lastSeen) group.lastSeen = at;
    const example = letter.entityId ?? (letter.source ? `${letter.source.topic}/${letter.source.partition}/${letter.source.offset}` : null);
    if (example !== null && group.examples.length < examplesPerGroup && !group.examples.includes(example)) group.examples.push(example);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.subgraph.localeCompare(b.subgraph) || a.reason.localeCompare(b.reason) || a.state.localeCompare(b.state));
}

/**
 * What letters fail for, said once for many: a fetch's error code and its path without list
 * indexes; otherwise the letter's kind and reason, cut short, with the entity id and every number
 * masked (they differ letter by letter).
 */
export function reasonClass(letter: DeadLetter): string {
  if (letter.fault) {
    const path = letter.fault.path.split('.').filter((part) => part !== '' && !/^\d+$/.test(part)).join('.');
    return path === '' ? letter.fault.code : `${letter.fault.code} at ${path}`;
  }
  let reason = letter.reason;
  if (letter.entityId) reason = reason.split(letter.entityId).join('<id>');
  reason = reason.replace(/\d+/g, 'N').replace(/\s+/g, ' ').trim();
  return `${letter.kind}: ${reason.length > 90 ? `${reason.slice(0, 90)}…` : reason}`;
}

/** The summary for a person: what recovers by itself and what needs replay, a line per group (the team to call first), then one full reason per group. */
export function formatLetterSummary(summary: LetterSummary): string {
  const replayed = summary.replayedBefore > 0 ? ` (${summary.replayedBefore} earlier ones replayed or retried already)` : '';
  if (summary.groups.length === 0) return `${summary.topic}: no letters${replayed}\n`;
  const next = summary.groups.map((group) => group.nextRetry).filter((at): at is string => at !== null).sort()[0];
  const plural = (count: number): string => `${count} letter${count === 1 ? '' : 's'}`;
  const title =
    `${summary.topic}: ${plural(summary.letters)} — ${summary.waiting} waiting for an automatic retry` +
    `${next === undefined ? '' : ` (next ${seconds(next)})`}, ${summary.permanent} permanent (\`fedsearch replay\`)${replayed}`;
  const header = ['SUBGRAPH', 'REASON', 'STATE', 'LETTERS', 'FIRST SEEN', 'LAST SEEN', 'NEXT RETRY', 'EXAMPLES'];
  const rows = summary.groups.map((group) => [
    group.subgraph,
    group.reason,
    group.state,
    String(group.count),
    seconds(group.firstSeen),
    seconds(group.lastSeen),
    group.nextRetry === null ? '-' : `${seconds(group.nextRetry)} (retry ${group.attempts + 1})`,
    group.examples.join(', '),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] as number))).join('  ').trimEnd();
  const lines = [title, '', line(header), ...rows.map(line), ''];
  for (const group of summary.groups) lines.push(`${group.subgraph} · ${group.reason} (${group.state}):`, `  ${group.exampleReason}`);
  return `${lines.join('\n')}\n`;
}

/** `2026-12-05T16:01:02.345Z` → `2026-12-05 16:01:02Z`. */
function seconds(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : iso;
}
