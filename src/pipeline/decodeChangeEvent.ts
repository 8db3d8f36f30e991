import { isSafeNumber, LosslessNumber, parse as parseLossless } from 'lossless-json';
import type { EventSource } from '../config/indexConfig.ts';
import { encodeId, type KeyPart } from '../graph/entityKey.ts';
import { valueAt } from '../valueAt.ts';
import { jsonNestsDeeperThan } from './jsonDepth.ts';

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
  /** When the change happened at the source (CDC `ts_ms`), for end-to-end latency; null if absent. */
  tsMs: number | null;
}

export type DecodeResult = { ok: true; event: DecodedEvent } | { ok: false; reason: string };

type IdSource = Pick<EventSource, 'idPath' | 'idFromKey'> & Partial<Pick<EventSource, 'idPaths'>>;

/**
 * Reads the entity id out of a change event: from the message key, or from a dotted path in the
 * JSON value (CDC envelope), or for a composite key from one path per key field (`idPaths`, put
 * together in the key's order, see entityKey.ts). A path under `after.` falls back to `before.` —
 * a delete carries the row only in `before`. Never throws: an event that cannot be read, for
 * whatever reason, is a reason to dead-letter it — a throw would fail its batch on every retry.
 */
export function decodeChangeEvent(message: { key: Buffer | null; value: Buffer | null }, source: IdSource, key: readonly KeyPart[] | null = null): DecodeResult {
  try {
    return decode(message, source, key);
  } catch (error) {
    return { ok: false, reason: `the event could not be read: ${(error as Error).message}` };
  }
}

function decode(message: { key: Buffer | null; value: Buffer | null }, source: IdSource, key: readonly KeyPart[] | null): DecodeResult {
  let body: unknown = null;
  if (message.value !== null && message.value.length > 0) {
    const tooDeep = jsonNestsDeeperThan(message.value, MAX_EVENT_DEPTH);
    // An id taken from the key needs the value only for its time: a value it cannot use is no reason to refuse the event.
    if (tooDeep && !source.idFromKey) return { ok: false, reason: `value nests deeper than ${MAX_EVENT_DEPTH} levels of arrays and objects` };
    try {
      if (!tooDeep) body = JSON.parse(message.value.toString('utf8'));
    } catch (error) {
      if (!source.idFromKey) return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
    }
  }
  const tsMs = readTimestamp(body);
  if (source.idFromKey) {
    const messageKey = message.key?.toString('utf8') ?? '';
    return messageKey === '' ? { ok: false, reason: 'message has no key to take the id from' } : withId(messageKey, tsMs);
  }
  if (body === null || typeof body !== 'object') {
    return { ok: false, reason: message.value === null ? 'message has no value (tombstone)' : 'value is not a JSON object' };
  }
  if (source.idPaths && key) {
    const values: Array<string | number> = [];
    for (const part of key) {
      const path = source.idPaths[part.documentPath] as string;
      const read = scalarAt(body, message.value, path);
      if ('reason' in read) return { ok: false, reason: `${read.reason} (key field ${part.documentPath})` };
      values.push(part.kind === 'int' && /^-?\d+$/.test(read.value) ? Number(read.value) : read.value);
    }
    return withId(encodeId(key, values), tsMs);
  }
  const read = scalarAt(body, message.value, source.idPath as string);
  return 'reason' in read ? { ok: false, reason: read.reason } : withId(read.value, tsMs);
}

/** The string or number at `path` (or its `before.` twin), exactly as written in the event. */
function scalarAt(body: object, raw: Buffer | null, path: string): { value: string } | { reason: string } {
  const idAt = (document: unknown): unknown =>
    valueAt(document, path) ?? (path.startsWith('after.') ? valueAt(document, `before.${path.slice('after.'.length)}`) : undefined);
  let id = idAt(body);
  // JSON.parse rounds an integer above 2^53 to a neighbour: read the id's exact digits instead.
  if (typeof id === 'number' && !Number.isSafeInteger(id) && raw !== null) {
    const exact = idAt(parseLossless(raw.toString('utf8'), null, (digits) => (isSafeNumber(digits) ? Number(digits) : new LosslessNumber(digits))));
    if (exact instanceof LosslessNumber) id = exact.toString();
  }
  if (id === undefined || id === null || id === '') {
    return { reason: `no id at ${path}${path.startsWith('after.') ? ` or before.${path.slice(6)}` : ''}` };
  }
  if (typeof id !== 'string' && typeof id !== 'number') {
    return { reason: `the id at ${path} is ${Array.isArray(id) ? 'a list' : typeof id}, not a string or number` };
  }
  return { value: String(id) };
}

function withId(id: string, tsMs: number | null): DecodeResult {
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_ID_BYTES) return { ok: false, reason: `the id is ${bytes} bytes long; at most ${MAX_ID_BYTES} are allowed` };
  return { ok: true, event: { id, tsMs } };
}

/**
 * The event's `ts_ms`, when it is a time in milliseconds since 1970 (a whole number from 0 to
 * 2^53 − 1); anything else (-1, 1e308, a string) is ignored as if absent: the change is still
 * indexed, it just gives no end-to-end latency sample. It only measures latency, so a bad one is no
 * reason to hold back the change, and carried on it would make the sink refuse the document.
 */
function readTimestamp(body: unknown): number | null {
  if (body === null || typeof body !== 'object') return null;
  const ts = (body as { ts_ms?: unknown }).ts_ms;
  return typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0 ? ts : null;
}
