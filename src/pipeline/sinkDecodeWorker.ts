// A worker thread of the sink's decode pool (sinkDecoding.ts): documents-topic values in, the
// JSON of each document out — the Avro bounds check, the decode and the JSON.stringify the bulk
// request needs, off the event loop.
import { workerData } from 'node:worker_threads';
import { DocumentCodec, type DocumentCodecSettings } from './documentCodec.ts';
import { serveTasks } from './workerPool.ts';
import { decodeEach, type DecodeTask } from './sinkDecoding.ts';

const settings = workerData as DocumentCodecSettings;
const codec = new DocumentCodec(settings.schemas, settings.currentFingerprint, settings);
serveTasks((task: DecodeTask) => ({ answer: decodeEach(codec, task) }));
