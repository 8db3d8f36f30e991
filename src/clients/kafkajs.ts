import type * as KafkaJS from 'kafkajs';
import { createRequire } from 'node:module';
import { speedUpKafkajsEncoding } from './kafkajsEncoding.ts';
import { stopIdleRequestQueueLoop } from './kafkajsIdleLoop.ts';

const require = createRequire(import.meta.url);

// kafkajs's classes, loaded once with fedsearch's fixes to its 2.2.4 release: the checksum must be
// in place before kafkajs first loads (it takes the function then), the other two patch methods
// and work any time before a connection opens. Values come from here, types from 'kafkajs'.
speedUpKafkajsEncoding();
const kafkajs = require('kafkajs') as typeof KafkaJS;
stopIdleRequestQueueLoop();

// Every value anything in this repository takes from kafkajs (test/architecture checks that
// nothing else imports them from 'kafkajs', which would load it without the fixes).
export const { Kafka, logLevel, AssignerProtocol, Partitioners, ConfigResourceTypes, ConfigSource } = kafkajs;
/** The client's type under the same name as its class, as `import { Kafka } from 'kafkajs'` gives both. */
export type Kafka = KafkaJS.Kafka;
