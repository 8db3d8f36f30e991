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

export const { Kafka, logLevel } = kafkajs;
