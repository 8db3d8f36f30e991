// A worker thread of the sink's decode pool (sinkDecoding.ts): documents-topic values in, the
// JSON of each document out — the Avro bounds check, the decode and the JSON.stringify the bulk
// request needs, off the event loop.
import { DocumentCodec } from './documentCodec.ts';
import { serveTasks } from './workerPool.ts';
import { decodeEach, type DecodeTask } from './sinkDecoding.ts';

/** Each index's codec, built from the first task that names it (a process may carry many indexes). */
const codecs = new Map<string, DocumentCodec>();

serveTasks((task: DecodeTask) => {
  let codec = codecs.get(task.codec.key);
  if (!codec) {
    const { settings } = task.codec;
    codec = new DocumentCodec(settings.schemas, settings.currentFingerprint, settings);
    codecs.set(task.codec.key, codec);
  }
  return { answer: decodeEach(codec, task) };
});
