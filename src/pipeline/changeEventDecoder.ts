import { isSafeNumber, LosslessNumber, parse as parseLossless } from 'lossless-json';
import type { EventSource } from '../config/indexConfig.ts';
import type { KeyPart } from '../graph/entityKey.ts';
import { jsonNestsDeeperThan } from './jsonDepth.ts';

// The interface every change-event format's decoder implements (the bare envelope in
// decodeChangeEvent.ts, Debezium's in debeziumEvent.ts), and the checks they share: how deep a
// value may nest, how long an id may be, how an id's exact digits and a source time are read.

/** Longest entity id accepted, in UTF-8 bytes; a longer one is dead-lettered, never indexed. */
export const MAX_ID_BYTES = 512;

/**
 * Deepest nesting of arrays and objects accepted in an event's value; a deeper one is
 * dead-lettered before it is parsed. A CDC envelope with its schema nests under ten levels; the
 * exact re-parse of a big integer id recurses once a level and overflows the stack at a few
 * thousand, which would fail the batch on every retry instead of dead-lettering one event.
 */
export const MAX_EVENT_DEPTH = 128;

/** What the pipeline needs from one change event. */
export interface DecodedEvent {
  id: string;
  /** When the change happened at the source (its commit time for CDC), for end-to-end latency; null if absent. */
  tsMs: number | null;
  /**
   * What the event says of the row after it: true for a create, update or snapshot read, false
   * for a delete, undefined when the event does not say (an envelope without `op`).
   */
  exists?: boolean;
}

/**
 * Why a message that is not a change of a row is passed over: it is counted, never dead-lettered
 * (a connector sends them by design, so a dead letter each would never stop).
 */
export type SkipReason = 'tombstone' | 'heartbeat' | 'transaction';

export type DecodeResult =
  | { ok: true; event: DecodedEvent }
  /** Read, and not a change: nothing to fetch. */
  | { ok: true; event: null; skipped: SkipReason }
  | { ok: false; reason: string };

export interface EventMessage {
  key: Buffer | null;
  value: Buffer | null;
}

/** What a decoder reads of an event source's config (tests give only what they use). */
export type IdSource = Pick<EventSource, 'idPath' | 'idFromKey'> & Partial<Pick<EventSource, 'idPaths' | 'format' | 'topic'>>;

/**
 * One format's decoder. Never throws: an event that cannot be read, for whatever reason, is a
 * reason to dead-letter it — a throw would fail its batch on every retry. `key` is the key the
 * events name, field by field, for a composite id (`idPaths`).
 */
export type ChangeEventDecoder = (message: EventMessage, source: IdSource, key: readonly KeyPart[] | null) => DecodeResult;

/** Runs `decode`, turning anything it throws into a reason to dead-letter the event. */
export function neverThrowing(decode: ChangeEventDecoder): ChangeEventDecoder {
  return (message, source, key) => {
    try {
      return decode(message, source, key);
    } catch (error) {
      return { ok: false, reason: `the event could not be read: ${(error as Error).message}` };
    }
  };
}

/** The value parsed as JSON, after the depth check (which runs before any parse). */
export function parseValue(raw: Buffer): { body: unknown } | { reason: string } {
  if (jsonNestsDeeperThan(raw, MAX_EVENT_DEPTH)) return { reason: `value nests deeper than ${MAX_EVENT_DEPTH} levels of arrays and objects` };
  try {
    return { body: JSON.parse(raw.toString('utf8')) };
  } catch (error) {
    return { reason: `value is not JSON: ${(error as Error).message}` };
  }
}

/**
 * `read(body)` as written in the event: JSON.parse rounds an integer above 2^53 to a neighbour, so
 * such a number is read again, with its exact digits, from a lossless parse of `raw`.
 */
export function exactValue(body: unknown, raw: Buffer | null, read: (document: unknown) => unknown): unknown {
  const value = read(body);
  if (typeof value === 'number' && !Number.isSafeInteger(value) && raw !== null) {
    const exact = read(parseLossless(raw.toString('utf8'), null, (digits) => (isSafeNumber(digits) ? Number(digits) : new LosslessNumber(digits))));
    if (exact instanceof LosslessNumber) return exact.toString();
  }
  return value;
}

/** An id value found at `where`, as a string; or why it is not one. */
export function idText(value: unknown, where: string, missing: string): { value: string } | { reason: string } {
  if (value === undefined || value === null || value === '') return { reason: missing };
  if (typeof value !== 'string' && typeof value !== 'number') {
    return { reason: `the id at ${where} is ${Array.isArray(value) ? 'a list' : typeof value}, not a string or number` };
  }
  return { value: String(value) };
}

/** One key field's value, a number for an `int` field written as digits (see entityKey.ts). */
export function keyFieldValue(part: KeyPart, text: string): string | number {
  return part.kind === 'int' && /^-?\d+$/.test(text) ? Number(text) : text;
}

export function withId(id: string, tsMs: number | null, exists?: boolean): DecodeResult {
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_ID_BYTES) return { ok: false, reason: `the id is ${bytes} bytes long; at most ${MAX_ID_BYTES} are allowed` };
  return { ok: true, event: exists === undefined ? { id, tsMs } : { id, tsMs, exists } };
}

/** What an event's `op` says of its row after it (see DecodedEvent.exists): c, u and r keep it, d removes it. */
export function rowExistsAfter(op: unknown): boolean | undefined {
  if (op === 'c' || op === 'u' || op === 'r') return true;
  if (op === 'd') return false;
  return undefined;
}

/**
 * A `ts_ms` when it is a time in milliseconds since 1970 (a whole number from 0 to 2^53 − 1);
 * anything else (-1, 1e308, a string) is ignored as if absent: the change is still indexed, it
 * just gives no end-to-end latency sample. It only measures latency, so a bad one is no reason to
 * hold back the change, and carried on it would make the sink refuse the document.
 */
export function timestampIn(holder: unknown): number | null {
  if (holder === null || typeof holder !== 'object') return null;
  const ts = (holder as { ts_ms?: unknown }).ts_ms;
  return typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0 ? ts : null;
}
