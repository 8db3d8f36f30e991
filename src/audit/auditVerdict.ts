import type { FieldDifference } from './documentDifferences.ts';

/** How the index disagrees with the graph about one id. */
export type DifferenceClass = 'missing' | 'extra' | 'stale';

/**
 * - `settled`: it agreed when checked again after the settle period — a change in flight, caught up.
 * - `withinSla`: it still differs, but for less time than the consistency SLA allows.
 * - `persistent`: it still differs, and for longer than the SLA: a real loss; the audit fails.
 */
export type Persistence = 'settled' | 'withinSla' | 'persistent';

export interface Difference {
  id: string;
  class: DifferenceClass;
  persistence: Persistence;
  /** How long it has been wrong, in seconds (see differenceAge); null once settled. */
  ageSeconds: number | null;
  /** For a stale document: the fields that differ, whose each is, and whether the graph changes it on every read. */
  fields?: AttributedFieldDifference[];
}

/** A field difference with the subgraph that owns the field (null: not known) and whether it is volatile. */
export interface AttributedFieldDifference extends FieldDifference {
  subgraph: string | null;
  /** The graph answered it differently on two reads in a row: not the index's fault. */
  volatile: boolean;
}

/** What one check of one id found: the class of its difference (null: index and graph agree). */
export interface IdCheck {
  class: DifferenceClass | null;
  /** When the graph last changed the entity (audit.updatedAtField), if the document says. */
  graphUpdatedAtMs: number | null;
  /** For a stale one: the fields that differ and the graph's document as read (to read it again for volatile fields). */
  stale?: { fields: FieldDifference[]; graph: Record<string, unknown> };
}

/**
 * How long a difference has lasted: since the graph's last change of the entity when the config
 * names an updatedAt field (the index missed that change), otherwise since this audit — or an
 * earlier run of `audit --every` — first saw it. The second is a lower bound.
 */
export function differenceAge(check: IdCheck, firstSeenMs: number, nowMs: number): number {
  const since = check.class !== 'extra' && check.graphUpdatedAtMs !== null ? Math.min(check.graphUpdatedAtMs, firstSeenMs) : firstSeenMs;
  return Math.max(0, (nowMs - since) / 1000);
}

/** The verdict on one id that differed at first sight, from its last check. */
export function verdict(id: string, first: DifferenceClass, last: IdCheck, firstSeenMs: number, nowMs: number, slaSeconds: number): Difference {
  if (last.class === null) return { id, class: first, persistence: 'settled', ageSeconds: null };
  const ageSeconds = differenceAge(last, firstSeenMs, nowMs);
  return { id, class: last.class, persistence: ageSeconds < slaSeconds ? 'withinSla' : 'persistent', ageSeconds };
}
