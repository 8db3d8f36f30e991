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
    checkerOf(type)(reader);
    if (reader.offset !== buffer.length) return `${buffer.length - reader.offset} byte(s) left over after the value`;
    return null;
  } catch (error) {
    if (error instanceof AvroBoundsError) return error.message;
    throw error;
  }
}

class AvroBoundsError extends Error {}

/** Walks one value of a type (compiled once per type: the sink checks every document it reads). */
type Check = (reader: BoundedReader) => void;

// avsc's Type exposes its parts by kind; the typings do not say which a given type has.
type TypeParts = avro.Type & {
  underlyingType?: avro.Type;
  fields?: Array<{ name: string; type: avro.Type }>;
  itemsType?: avro.Type;
  valuesType?: avro.Type;
  types?: avro.Type[];
  size?: number;
};

const checkers = new WeakMap<avro.Type, Check>();

function checkerOf(type: avro.Type): Check {
  const known = checkers.get(type);
  if (known) return known;
  // A recursive record reaches itself while its fields compile: it finds this forwarder.
  let compiled: Check | undefined;
  const forward: Check = (reader) => (compiled as Check)(reader);
  checkers.set(type, forward);
  compiled = compile(type as TypeParts);
  checkers.set(type, compiled);
  return compiled;
}

function compile(t: TypeParts): Check {
  const name = t.typeName;
  if (name.startsWith('logical:') && t.underlyingType) return checkerOf(t.underlyingType);
  switch (name) {
    case 'null':
      return () => {};
    case 'boolean':
      return (reader) => reader.skip(1);
    case 'int':
    case 'long':
    case 'enum':
      return (reader) => void reader.long();
    case 'float':
      return (reader) => reader.skip(4);
    case 'double':
      return (reader) => reader.skip(8);
    case 'string':
    case 'bytes':
      return (reader) => reader.skip(reader.length(1));
    case 'fixed': {
      const size = t.size ?? 0;
      return (reader) => reader.skip(size);
    }
    case 'record':
    case 'error': {
      const fields = (t.fields ?? []).map((field) => ({ name: field.name, check: checkerOf(field.type) }));
      return (reader) => {
        for (const field of fields) {
          reader.path.push(field.name);
          field.check(reader);
          reader.path.pop();
        }
      };
    }
    case 'array': {
      const items = t.itemsType as avro.Type;
      const itemMinSize = minSize(items);
      const check = checkerOf(items);
      return (reader) => reader.blocks(itemMinSize, check);
    }
    case 'map': {
      const values = t.valuesType as avro.Type;
      const entryMinSize = 1 + minSize(values);
      const check = checkerOf(values);
      const entry: Check = (reader) => {
        reader.skip(reader.length(1));
        check(reader);
      };
      return (reader) => reader.blocks(entryMinSize, entry);
    }
    default: {
      if (name.startsWith('union') && t.types) {
        const branches = t.types.map(checkerOf);
        return (reader) => {
          const branch = reader.long();
          const chosen = branches[branch];
          if (chosen === undefined) throw reader.problem(`union branch ${branch} of ${branches.length}`);
          chosen(reader);
        };
      }
      return (reader) => {
        throw reader.problem(`unsupported Avro type ${name}`);
      };
    }
  }
}

class BoundedReader {
  offset = 0;
  /** Where the walk is: field names, and element numbers of arrays and maps; joined only for an error. */
  readonly path: Array<string | number> = [];

  constructor(private readonly buffer: Buffer) {}

  /** Array and map blocks: a count (negative: followed by the block's byte size), until 0. */
  blocks(elementMinSize: number, element: Check): void {
    let i = 0;
    for (;;) {
      let count = this.long();
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        this.length(1);
      }
      const limit = elementMinSize > 0 ? Math.floor(this.left() / elementMinSize) : MAX_ITEMS_OF_EMPTY_TYPE;
      if (count > limit) throw this.problem(`a block of ${count} elements in ${this.left()} bytes`);
      for (let end = i + count; i < end; i++) {
        this.path.push(i);
        element(this);
        this.path.pop();
      }
    }
  }

  /** A length (string, bytes, block size): not negative, and no longer than what is left. */
  length(unit: number): number {
    const length = this.long();
    if (length < 0 || length * unit > this.left()) throw this.problem(`a length of ${length} with ${this.left()} bytes left`);
    return length;
  }

  /**
   * A zig-zag varint, at most 10 bytes, within the safe integers. Read with plain numbers (exact
   * up to 7 bytes, 49 bits: every length and count a real document has); longer ones through
   * BigInt, exact but slow enough to cost a tenth of the sink's decoding if used for every number.
   */
  long(): number {
    let unsigned = 0;
    let scale = 1;
    const start = this.offset;
    for (let i = 0; i < 7; i++) {
      if (this.offset >= this.buffer.length) throw this.problem('the value ends inside a number');
      const byte = this.buffer[this.offset++] as number;
      unsigned += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
      scale *= 128;
    }
    this.offset = start;
    return this.longBig();
  }

  skip(bytes: number): void {
    if (bytes > this.left()) throw this.problem(`${bytes} bytes needed, ${this.left()} left`);
    this.offset += bytes;
  }

  /** The error for what is wrong here, naming where (`cast[2].talent.name`, or `the value`). */
  problem(what: string): AvroBoundsError {
    let where = '';
    for (const segment of this.path) where += typeof segment === 'number' ? `[${segment}]` : where === '' ? segment : `.${segment}`;
    return new AvroBoundsError(`${where || 'the value'}: ${what}`);
  }

  private longBig(): number {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.buffer.length) throw this.problem('the value ends inside a number');
      const byte = this.buffer[this.offset++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        const decoded = (result >> 1n) ^ -(result & 1n);
        if (decoded > BigInt(Number.MAX_SAFE_INTEGER) || decoded < BigInt(Number.MIN_SAFE_INTEGER)) throw this.problem('a number beyond 2^53');
        return Number(decoded);
      }
      shift += 7n;
    }
    throw this.problem('a number longer than 10 bytes');
  }

  private left(): number {
    return this.buffer.length - this.offset;
  }
}

/** The fewest bytes one value of the type takes. */
function minSize(type: avro.Type): number {
  const t = type as TypeParts;
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
