import type { DocumentShape, LeafStorage, ObjectShape, ShapeNode } from '../index/documentShape.ts';

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'double' | 'string';

export interface AvroRecord {
  type: 'record';
  name: string;
  namespace: string;
  doc?: string;
  fields: AvroField[];
}

export interface AvroEnum {
  type: 'enum';
  name: string;
  namespace: string;
  doc?: string;
  symbols: string[];
}

export interface AvroArray {
  type: 'array';
  items: AvroType;
}

/** A union in a union is not Avro; the only unions fedsearch writes are "this, or null". */
export type AvroUnion = ['null', AvroRecord | AvroEnum | AvroArray | Exclude<AvroPrimitive, 'null'>];
export type AvroType = AvroPrimitive | AvroRecord | AvroEnum | AvroArray | AvroUnion;

export interface AvroField {
  name: string;
  type: AvroType;
  doc?: string;
  /** Only on nullable fields, so a reader with this schema accepts documents written without them. */
  default?: null;
}

export interface GeneratedAvroSchema {
  schema: AvroRecord;
  /** The root record's full name, e.g. `fedsearch.movies.Movie` (what a schema registry subject names). */
  fullName: string;
}

const AVRO_TYPE_OF_STORAGE: Readonly<Record<LeafStorage, AvroPrimitive>> = {
  string: 'string',
  keyword: 'string',
  text: 'string',
  // ISO-8601 text as the graph returns it: a logical type would force every producer to convert.
  date: 'string',
  integer: 'int',
  long: 'long',
  double: 'double',
  boolean: 'boolean',
};

/**
 * The Avro schema of the documents the query returns, for the `<index>.documents` topic. The root
 * record is named after the entity type in `fedsearch.<index>`; every nested record and enum is
 * named after its GraphQL type in a namespace spelled from its document path
 * (`fedsearch.movies.movie.production`), so two selections on one GraphQL type at different paths —
 * which select different fields — are different Avro types that cannot clash.
 */
export function generateAvroSchema(shape: DocumentShape, options: { index: string }): GeneratedAvroSchema {
  const namespace = `fedsearch.${avroName(options.index)}`;
  const root = shape.root;
  const record: AvroRecord = {
    type: 'record',
    name: root.typeName,
    namespace,
    fields: root.fields.map((field) => avroField(field, `${namespace}.${root.key}`)),
  };
  return { schema: record, fullName: `${namespace}.${root.typeName}` };
}

function avroField(node: ShapeNode, parentNamespace: string): AvroField {
  // A response key is already a valid Avro name: both are /[_A-Za-z][_0-9A-Za-z]*/.
  const namespace = `${parentNamespace}.${node.key}`;
  let type: AvroType = namedOrPrimitive(node, namespace);
  for (let level = node.listDepth; level >= 1; level--) {
    type = { type: 'array', items: node.nonNull[level] === true ? type : nullable(type) };
  }
  const doc = node.description === null ? {} : { doc: node.description };
  if (node.nonNull[0] === true) return { name: node.key, type, ...doc };
  return { name: node.key, type: nullable(type), ...doc, default: null };
}

function namedOrPrimitive(node: ShapeNode, namespace: string): AvroType {
  switch (node.kind) {
    case 'scalar':
      return AVRO_TYPE_OF_STORAGE[node.storage];
    case 'enum':
      return { type: 'enum', name: node.typeName, namespace, symbols: node.values };
    case 'object':
    case 'abstract':
      return objectRecord(node, namespace);
  }
}

function objectRecord(node: ObjectShape, namespace: string): AvroRecord {
  return {
    type: 'record',
    name: node.typeName,
    namespace,
    fields: node.fields.map((field) => avroField(field, namespace)),
  };
}

function nullable(type: AvroType): AvroUnion {
  if (Array.isArray(type)) return type;
  if (type === 'null') throw new Error('A null-only type has no nullable form');
  return ['null', type];
}

/** Index names may hold `-`, `+` or `.`; Avro name parts may not. */
function avroName(index: string): string {
  const name = index.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}
