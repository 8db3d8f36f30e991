import avro from 'avsc';

/** Whether a reader schema can decode what a writer schema writes, and if not, avsc's reason. */
export type AvroReadability = { readerCanRead: true } | { readerCanRead: false; reason: string };

/**
 * Avro schema resolution, as avsc does it (`reader.createResolver(writer)`): the provisioned
 * schema as the reader, the one the changed graph generates as the writer. A reader that cannot
 * resolve the writer cannot hold what the changed graph answers (a null where it promised a
 * value, an enum symbol it does not list), so documents fail to encode or decode until the index
 * is provisioned again.
 *
 * Records and enums are named after their GraphQL types, but what they hold is decided by where
 * they are in the document: a type renamed in the graph (enum TalentRole now Role) changes no
 * byte of a document. So each named type of the reader is given, as an alias, the name of the
 * writer's named type at the same place in the document, and a rename alone resolves.
 */
export function avroReadability(readerSchema: object, writerSchema: object): AvroReadability {
  const reader = avro.Type.forSchema(withWriterNamesAsAliases(readerSchema, writerSchema) as avro.Schema);
  const writer = avro.Type.forSchema(writerSchema as avro.Schema);
  try {
    reader.createResolver(writer);
    return { readerCanRead: true };
  } catch (error) {
    return { readerCanRead: false, reason: (error as Error).message };
  }
}

/** A schema node as JSON: a name, a union (array), or a type object. */
type SchemaNode = string | SchemaNode[] | { [key: string]: unknown };

const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

/**
 * A copy of the reader schema whose named types also answer to the full name of the writer's
 * named type of the same kind at the same place (field names from the root; arrays, maps and
 * unions do not count, so a type made nullable or wrapped in a list keeps its place).
 */
function withWriterNamesAsAliases(readerSchema: object, writerSchema: object): object {
  const writerNames = new Map<string, string>();
  walk(writerSchema as SchemaNode, '', '', (node, place, fullName) => {
    if (!writerNames.has(place)) writerNames.set(place, fullName);
  });
  const reader = structuredClone(readerSchema) as SchemaNode;
  walk(reader, '', '', (node, place, fullName) => {
    const writerName = writerNames.get(place);
    if (writerName === undefined || writerName === fullName) return;
    const aliases = Array.isArray(node.aliases) ? (node.aliases as unknown[]) : [];
    node.aliases = [...aliases, writerName];
  });
  return reader as object;
}

/** Visits each named type definition with its place (`kind:field.field`) and full name. */
function walk(node: SchemaNode, place: string, namespace: string, visit: (node: { [key: string]: unknown }, place: string, fullName: string) => void): void {
  if (typeof node === 'string') return;
  if (Array.isArray(node)) {
    for (const branch of node) walk(branch, place, namespace, visit);
    return;
  }
  const type = node.type;
  if (typeof type === 'string' && NAMED.has(type) && typeof node.name === 'string') {
    const name = node.name;
    const ownNamespace = typeof node.namespace === 'string' ? node.namespace : namespace;
    const fullName = name.includes('.') || ownNamespace === '' ? name : `${ownNamespace}.${name}`;
    visit(node, `${type === 'error' ? 'record' : type}:${place}`, fullName);
    const inner = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : '';
    if (Array.isArray(node.fields)) {
      for (const field of node.fields as Array<{ name?: unknown; type?: unknown }>) {
        if (typeof field.name === 'string') walk(field.type as SchemaNode, `${place}.${field.name}`, inner, visit);
      }
    }
    return;
  }
  if (type === 'array') walk(node.items as SchemaNode, place, namespace, visit);
  else if (type === 'map') walk(node.values as SchemaNode, place, namespace, visit);
  else if (typeof type === 'object' && type !== null) walk(type as SchemaNode, place, namespace, visit);
}
