import { encodeId } from '../graph/entityKey.ts';
import { valueAt } from '../valueAt.ts';
import { exactValue, idText, keyFieldValue, neverThrowing, parseValue, rowExistsAfter, timestampIn, withId, type ChangeEventDecoder, type EventMessage } from './changeEventDecoder.ts';

// Debezium's change events, as Kafka Connect's JSON converter writes them: with its schemas on
// (`{"schema": …, "payload": {op, before, after, source, ts_ms}}`, Connect's default) or off (the
// payload alone). https://debezium.io/documentation/reference/3.3/connectors/postgresql.html#postgresql-events

/** The prefix of Debezium's heartbeat topics (`heartbeat.topics.prefix`'s default). */
const HEARTBEAT_TOPIC_PREFIX = '__debezium-heartbeat';

/** Row changes: create, update, a snapshot's read (an upsert like the others) and delete. */
const ROW_OPS = new Set(['c', 'u', 'r', 'd']);

export function isDebeziumHeartbeatTopic(topic: string): boolean {
  return topic === HEARTBEAT_TOPIC_PREFIX || topic.startsWith(`${HEARTBEAT_TOPIC_PREFIX}.`);
}

/**
 * Debezium's event, the payload of the schema envelope when it has one. Its schema is not
 * needed: the id is read by column name, and the JSON converter writes each value in its JSON
 * form whatever the schema says.
 */
function payloadOf(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && 'schema' in body && 'payload' in body) return (body as { payload: unknown }).payload;
  return body;
}

/**
 * The id of the row a change event is about, named as a column: `id: id` (or, as the bare
 * envelope spells it, `after.id`), or a column per key field. It is read from `after`, or from
 * `before` for a delete (which carries the row's key there). The time is the commit's
 * (`source.ts_ms`), else when Debezium read the change (`ts_ms`). A tombstone (the null value
 * after a delete, for log compaction), a heartbeat and a transaction boundary are skipped; an
 * `op` that changes no one row (a TRUNCATE, a logical decoding message) is dead-lettered with its
 * reason, so that someone decides what it means for the index.
 */
export const decodeDebeziumEvent: ChangeEventDecoder = neverThrowing((message, source, key) => {
  if (source.topic !== undefined && isDebeziumHeartbeatTopic(source.topic)) return { ok: true, event: null, skipped: 'heartbeat' };
  if (message.value === null || message.value.length === 0) return { ok: true, event: null, skipped: 'tombstone' };
  const parsed = parseValue(message.value);
  if ('reason' in parsed) return { ok: false, reason: parsed.reason };
  const event = payloadOf(parsed.body);
  if (event === null) return { ok: true, event: null, skipped: 'tombstone' };
  if (typeof event !== 'object' || Array.isArray(event)) return { ok: false, reason: 'value is not a JSON object' };
  const { op } = event as { op?: unknown };
  if (op === undefined) {
    const skipped = transactionOrHeartbeat(event);
    return skipped === null ? { ok: false, reason: 'not a Debezium change event: it has no op' } : { ok: true, event: null, skipped };
  }
  if (typeof op !== 'string' || !ROW_OPS.has(op)) return { ok: false, reason: `Debezium op ${JSON.stringify(op)} is not a change of one row (c, u, r or d)` };
  const image = op === 'd' ? 'before' : 'after';
  const row = (event as Record<string, unknown>)[image];
  if (row === null || typeof row !== 'object') return { ok: false, reason: `a Debezium ${op} event without its row in ${image}` };
  const tsMs = timestampIn((event as { source?: unknown }).source) ?? timestampIn(event);
  const column = (path: string): { value: string } | { reason: string } => {
    const name = columnName(path);
    const where = `${image}.${name}`;
    return idText(
      exactValue(parsed.body, message.value, (body) => valueAt(valueAt(payloadOf(body), image), name)),
      where,
      `no id at ${where}`,
    );
  };
  if (source.idPaths && key) {
    const values: Array<string | number> = [];
    for (const part of key) {
      const read = column(source.idPaths[part.documentPath] as string);
      if ('reason' in read) return { ok: false, reason: `${read.reason} (key field ${part.documentPath})` };
      values.push(keyFieldValue(part, read.value));
    }
    return withId(encodeId(key, values), tsMs, rowExistsAfter(op));
  }
  if (source.idPath === null) return { ok: false, reason: 'a Debezium event source names its id column (`id: <column>`)' };
  const read = column(source.idPath);
  return 'reason' in read ? { ok: false, reason: read.reason } : withId(read.value, tsMs, rowExistsAfter(op));
});

/** `id` for `id`, `after.id` or `before.id`: which image to read is the op's to say. */
function columnName(path: string): string {
  return path.replace(/^(after|before)\./, '');
}

/**
 * A transaction's BEGIN or END (`provide.transaction.metadata`) or a heartbeat (a value with
 * `ts_ms` only); null for anything else.
 */
function transactionOrHeartbeat(event: object): 'transaction' | 'heartbeat' | null {
  const { status, id } = event as { status?: unknown; id?: unknown };
  if ((status === 'BEGIN' || status === 'END') && typeof id === 'string') return 'transaction';
  const fields = Object.keys(event);
  return fields.length === 1 && fields[0] === 'ts_ms' ? 'heartbeat' : null;
}

/**
 * Whether a message is one Debezium wrote: a row change whose `source` block names its connector.
 * The application envelope has no connector, so its events parse once only: the text is searched
 * for the field's name before anything is parsed.
 */
export function looksLikeDebezium(message: EventMessage): boolean {
  if (message.value === null || !message.value.includes('"connector"')) return false;
  const parsed = parseValue(message.value);
  if ('reason' in parsed) return false;
  const event = payloadOf(parsed.body);
  if (event === null || typeof event !== 'object') return false;
  const { op, source } = event as { op?: unknown; source?: unknown };
  return typeof op === 'string' && typeof (source as { connector?: unknown } | null | undefined)?.connector === 'string';
}
