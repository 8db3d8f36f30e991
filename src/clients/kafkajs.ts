/**
 * kafkajs, loaded once, with fedsearch's patches to its internals. kafkajs 2.2.4 is its last
 * release (the project is unmaintained); package.json pins exactly that release, and loading this
 * module with any other installed throws (assertPatchedKafkajsRelease), because each patch
 * replaces code of 2.2.4 and would otherwise silently not apply, or replace code it does not know.
 * test/clients/kafkajsPatches.test.ts fails when a patch stops applying.
 *
 * The patches, each with a switch that leaves kafkajs as released (to measure what it saves):
 *
 * 1. Idle request-queue loop (kafkajsIdleLoop.ts). Replaces RequestQueue's
 *    scheduleCheckPendingRequests (kafkajs/src/network/requestQueue/index.js). As released, every
 *    broker connection re-arms a 1 ms timer while idle (kafkajs issue #1556; the fixes proposed in
 *    PRs #1667 and #1768 were never released): about 3% of a core per idle indexer process. This
 *    is the proposed fix. Off: FEDSEARCH_KAFKAJS_IDLE_FIX=off.
 * 2. Encoder growth without zero-filling (kafkajsEncoding.ts). Replaces Encoder's ensureAvailable
 *    (kafkajs/src/protocol/encoder.js): a grown buffer comes from Buffer.allocUnsafe instead of a
 *    zero-filled allocation (the encoder writes every byte it hands out); 6,000 records of 2 KiB
 *    encode in ~120 ms of CPU instead of ~210. Off: FEDSEARCH_KAFKAJS_ENCODING_FIX=off.
 * 3. Native CRC-32C (kafkajsEncoding.ts). Puts @node-rs/crc32's crc32c in require's cache as
 *    kafkajs/src/protocol/recordBatch/crc32C/index.js before kafkajs first loads (it takes the
 *    function then); kafkajs computes it a byte at a time in JavaScript, 4% of an indexer's CPU.
 *    Without the native package for the platform, kafkajs keeps its own. Off with 2.
 *
 * Removing a patch: delete its call below, its file and its tests; its switch shows the cost
 * first. Moving to another kafkajs release: read each replaced method in the new release, keep,
 * adapt or drop its patch, then change KNOWN_KAFKAJS_RELEASE (kafkajsInternals.ts) and
 * package.json's pin together.
 */
import type * as KafkaJS from 'kafkajs';
import { createRequire } from 'node:module';
import { speedUpKafkajsEncoding } from './kafkajsEncoding.ts';
import { stopIdleRequestQueueLoop } from './kafkajsIdleLoop.ts';
import { assertPatchedKafkajsRelease } from './kafkajsInternals.ts';

const require = createRequire(import.meta.url);

// The checksum must be in place before kafkajs first loads (it takes the function then); the
// other two patch methods and work any time before a connection opens. Values come from here,
// types from 'kafkajs'.
assertPatchedKafkajsRelease();
speedUpKafkajsEncoding();
const kafkajs = require('kafkajs') as typeof KafkaJS;
stopIdleRequestQueueLoop();

// Everything this repository takes from kafkajs, values and types alike, comes from here
// (test/architecture checks that nothing else imports 'kafkajs': a value imported from it would
// load it without the patches, and one home for both means nobody has to know which is which).
export const { Kafka, logLevel, AssignerProtocol, Partitioners, ConfigResourceTypes, ConfigSource } = kafkajs;
/** The client's type under the same name as its class, as `import { Kafka } from 'kafkajs'` gives both. */
export type Kafka = KafkaJS.Kafka;
/** The enum's type under the same name as its value, as kafkajs gives both. */
export type ConfigResourceTypes = KafkaJS.ConfigResourceTypes;
export type {
  Admin,
  Batch,
  Consumer,
  ConsumerConfig,
  ConsumerCrashEvent,
  EachBatchPayload,
  IHeaders,
  ITopicConfig,
  KafkaMessage,
  Message,
  Producer,
  ProducerConfig,
  SASLOptions,
} from 'kafkajs';
