import avro from 'avsc';

/** Whether a reader schema can decode what a writer schema writes, and if not, avsc's reason. */
export type AvroReadability = { readerCanRead: true } | { readerCanRead: false; reason: string };

/**
 * Avro schema resolution, as avsc does it (`reader.createResolver(writer)`): the provisioned
 * schema as the reader, the one the changed graph generates as the writer. A reader that cannot
 * resolve the writer cannot hold what the changed graph answers (a null where it promised a
 * value, an enum symbol it does not list), so documents fail to encode or decode until the index
 * is provisioned again.
 */
export function avroReadability(readerSchema: object, writerSchema: object): AvroReadability {
  const reader = avro.Type.forSchema(readerSchema as avro.Schema);
  const writer = avro.Type.forSchema(writerSchema as avro.Schema);
  try {
    reader.createResolver(writer);
    return { readerCanRead: true };
  } catch (error) {
    return { readerCanRead: false, reason: (error as Error).message };
  }
}
