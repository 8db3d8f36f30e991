import avro from 'avsc';

/** Elements one array or map block may claim when an element can take no bytes at all (null, {}). */
const MAX_ITEMS_OF_EMPTY_TYPE = 100_000;

/**
 * Checks an Avro value against its schema before avsc decodes it: every length and block count
 * must fit in the bytes that are left. avsc allocates as it reads and notices a short buffer only at
 * the end, so 9 bytes claiming a 40-million-element array cost seconds and hundreds of MiB before
 * "truncated buffer"; this walk allocates nothing and fails at the first impossible count.
 * Returns the problem, or null when the value is well-formed.
 */
export function avroBoundsProblem(type: avro.Type, buffer: Buffer): string | null {
  const reader = new BoundedReader(buffer);
  try {
    reader.value(type, '');
    if (reader.offset !== buffer.length) return `${buffer.length - reader.offset} byte(s) left over after the value`;
    return null;
  } catch (error) {
    if (error instanceof AvroBoundsError) return error.message;
    throw error;
  }
}

class AvroBoundsError extends Error {}

class BoundedReader {
  offset = 0;

  constructor(private readonly buffer: Buffer) {}

  value(type: avro.Type, path: string): void {
    // avsc's Type exposes its parts by kind; the typings do not say which a given type has.
    const t = type as avro.Type & {
      underlyingType?: avro.Type;
      fields?: Array<{ name: string; type: avro.Type }>;
      itemsType?: avro.Type;
      valuesType?: avro.Type;
      types?: avro.Type[];
      size?: number;
    };
    const name = t.typeName;
    if (name.startsWith('logical:') && t.underlyingType) return this.value(t.underlyingType, path);
    switch (name) {
      case 'null':
        return;
      case 'boolean':
        return this.skip(1, path);
      case 'int':
      case 'long':
      case 'enum':
        this.long(path);
        return;
      case 'float':
        return this.skip(4, path);
      case 'double':
        return this.skip(8, path);
      case 'string':
      case 'bytes':
        return this.skip(this.length(path, 1), path);
      case 'fixed':
        return this.skip(t.size ?? 0, path);
      case 'record':
      case 'error':
        for (const field of t.fields ?? []) this.value(field.type, path ? `${path}.${field.name}` : field.name);
        return;
      case 'array':
        return this.blocks(path, minSize(t.itemsType as avro.Type), (i) => this.value(t.itemsType as avro.Type, `${path}[${i}]`));
      case 'map':
        return this.blocks(path, 1 + minSize(t.valuesType as avro.Type), (i) => {
          this.skip(this.length(`${path}{key ${i}}`, 1), path);
          this.value(t.valuesType as avro.Type, `${path}{${i}}`);
        });
      default: {
        if (name.startsWith('union') && t.types) {
          const branch = this.long(path);
          const chosen = t.types[branch];
          if (chosen === undefined) throw new AvroBoundsError(`${where(path)}: union branch ${branch} of ${t.types.length}`);
          return this.value(chosen, path);
        }
        throw new AvroBoundsError(`${where(path)}: unsupported Avro type ${name}`);
      }
    }
  }

  /** Array and map blocks: a count (negative: followed by the block's byte size), until 0. */
  private blocks(path: string, elementMinSize: number, element: (i: number) => void): void {
    let i = 0;
    for (;;) {
      let count = this.long(path);
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        this.length(path, 1);
      }
      const limit = elementMinSize > 0 ? Math.floor(this.left() / elementMinSize) : MAX_ITEMS_OF_EMPTY_TYPE;
      if (count > limit) throw new AvroBoundsError(`${where(path)}: a block of ${count} elements in ${this.left()} bytes`);
      for (let end = i + count; i < end; i++) element(i);
    }
  }

  /** A length (string, bytes, block size): not negative, and no longer than what is left. */
  private length(path: string, unit: number): number {
    const length = this.long(path);
    if (length < 0 || length * unit > this.left()) throw new AvroBoundsError(`${where(path)}: a length of ${length} with ${this.left()} bytes left`);
    return length;
  }

  /**
   * A zig-zag varint, at most 10 bytes, within the safe integers. Read with plain numbers (exact
   * up to 7 bytes, 49 bits: every length and count a real document has); longer ones go through
   * BigInt, which is exact but costs a tenth of the sink's decoding when used for every number.
   */
  private long(path: string): number {
    let unsigned = 0;
    let scale = 1;
    const start = this.offset;
    for (let i = 0; i < 7; i++) {
      if (this.offset >= this.buffer.length) throw new AvroBoundsError(`${where(path)}: the value ends inside a number`);
      const byte = this.buffer[this.offset++] as number;
      unsigned += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
      scale *= 128;
    }
    this.offset = start;
    return this.longBig(path);
  }

  private longBig(path: string): number {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.buffer.length) throw new AvroBoundsError(`${where(path)}: the value ends inside a number`);
      const byte = this.buffer[this.offset++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        const decoded = (result >> 1n) ^ -(result & 1n);
        if (decoded > BigInt(Number.MAX_SAFE_INTEGER) || decoded < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new AvroBoundsError(`${where(path)}: a number beyond 2^53`);
        }
        return Number(decoded);
      }
      shift += 7n;
    }
    throw new AvroBoundsError(`${where(path)}: a number longer than 10 bytes`);
  }

  private skip(bytes: number, path: string): void {
    if (bytes > this.left()) throw new AvroBoundsError(`${where(path)}: ${bytes} bytes needed, ${this.left()} left`);
    this.offset += bytes;
  }

  private left(): number {
    return this.buffer.length - this.offset;
  }
}

/** The fewest bytes one value of the type takes. */
function minSize(type: avro.Type): number {
  const t = type as avro.Type & { underlyingType?: avro.Type; fields?: Array<{ type: avro.Type }>; types?: avro.Type[]; size?: number };
  const name = t.typeName;
  if (name.startsWith('logical:') && t.underlyingType) return minSize(t.underlyingType);
  switch (name) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return t.size ?? 0;
    case 'record':
    case 'error':
      return (t.fields ?? []).reduce((sum, field) => sum + minSize(field.type), 0);
    default:
      // boolean, int, long, enum, string, bytes, array, map and union each take a byte at least.
      return 1;
  }
}

function where(path: string): string {
  return path === '' ? 'the value' : path;
}
