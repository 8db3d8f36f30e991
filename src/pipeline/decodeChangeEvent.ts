import { encodeId, type KeyPart } from '../graph/entityKey.ts';
import { valueAt } from '../valueAt.ts';
import {
  exactValue,
  idText,
  keyFieldValue,
  neverThrowing,
  parseValue,
  rowExistsAfter,
  timestampIn,
  withId,
  type ChangeEventDecoder,
  type DecodeResult,
  type EventMessage,
  type IdSource,
} from './changeEventDecoder.ts';
import { decodeDebeziumEvent, isDebeziumHeartbeatTopic, looksLikeDebezium } from './debeziumEvent.ts';

export { MAX_EVENT_DEPTH, MAX_ID_BYTES, type DecodedEvent, type DecodeResult, type SkipReason } from './changeEventDecoder.ts';

/**
 * Decodes one change event with its source's decoder: `format: debezium` reads Debezium's change
 * events, `format: bare` the bare envelope; without a format each message is looked at — one
 * Debezium wrote (its `source` block names a connector) is read as Debezium's, any other as the
 * bare envelope. A tombstone or heartbeat says nothing of its format, so only `format: debezium`
 * skips them.
 */
export function decodeChangeEvent(message: EventMessage, source: IdSource, key: readonly KeyPart[] | null = null): DecodeResult {
  return decoderFor(source, message)(message, source, key);
}

function decoderFor(source: IdSource, message: EventMessage): ChangeEventDecoder {
  switch (source.format) {
    case 'debezium':
      return decodeDebeziumEvent;
    case 'bare':
      return decodeBareEvent;
    default:
      return (source.topic !== undefined && isDebeziumHeartbeatTopic(source.topic)) || looksLikeDebezium(message) ? decodeDebeziumEvent : decodeBareEvent;
  }
}

/**
 * The bare envelope (`{op, before, after, ts_ms}`, as an application publishes it): the entity id
 * from the message key, or from a dotted path in the JSON value, or for a composite key from one
 * path per key field (`idPaths`, put together in the key's order, see entityKey.ts). A path under
 * `after.` falls back to `before.` — a delete carries the row only in `before`.
 */
export const decodeBareEvent: ChangeEventDecoder = neverThrowing((message, source, key) => {
  let body: unknown = null;
  if (message.value !== null && message.value.length > 0) {
    const parsed = parseValue(message.value);
    // An id taken from the key needs the value only for its time: a value it cannot use is no reason to refuse the event.
    if ('reason' in parsed) {
      if (!source.idFromKey) return { ok: false, reason: parsed.reason };
    } else body = parsed.body;
  }
  const tsMs = timestampIn(body);
  const exists = body !== null && typeof body === 'object' ? rowExistsAfter((body as { op?: unknown }).op) : undefined;
  if (source.idFromKey) {
    const messageKey = message.key?.toString('utf8') ?? '';
    return messageKey === '' ? { ok: false, reason: 'message has no key to take the id from' } : withId(messageKey, tsMs, exists);
  }
  if (body === null || typeof body !== 'object') {
    return { ok: false, reason: message.value === null ? 'message has no value (tombstone)' : 'value is not a JSON object' };
  }
  if (source.idPaths && key) {
    const values: Array<string | number> = [];
    for (const part of key) {
      const read = scalarAt(body, message.value, source.idPaths[part.documentPath] as string);
      if ('reason' in read) return { ok: false, reason: `${read.reason} (key field ${part.documentPath})` };
      values.push(keyFieldValue(part, read.value));
    }
    return withId(encodeId(key, values), tsMs, exists);
  }
  const read = scalarAt(body, message.value, source.idPath as string);
  return 'reason' in read ? { ok: false, reason: read.reason } : withId(read.value, tsMs, exists);
});

/** The string or number at `path` (or its `before.` twin), exactly as written in the event. */
function scalarAt(body: object, raw: Buffer | null, path: string): { value: string } | { reason: string } {
  const twin = path.startsWith('after.') ? `before.${path.slice('after.'.length)}` : null;
  const id = exactValue(body, raw, (document) => valueAt(document, path) ?? (twin === null ? undefined : valueAt(document, twin)));
  return idText(id, path, `no id at ${path}${twin === null ? '' : ` or ${twin}`}`);
}
