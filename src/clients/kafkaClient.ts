import type { Kafka as KafkaClient, SASLOptions } from './kafkajs.ts';
import type { KafkaSettings } from '../config/indexConfig.ts';
import { CA_FILE, readUserTextFile } from '../readUserFile.ts';
import { Kafka, logLevel } from './kafkajs.ts';

/** A kafkajs client for the config's brokers, with TLS and SASL when configured. */
export function kafkaClient(settings: KafkaSettings, clientIdSuffix = ''): KafkaClient {
  const sasl: SASLOptions | undefined = settings.sasl
    ? ({ mechanism: settings.sasl.mechanism, username: settings.sasl.username, password: settings.sasl.password } as SASLOptions)
    : undefined;
  return new Kafka({
    clientId: `${settings.clientId}${clientIdSuffix}`,
    brokers: settings.brokers,
    ssl: settings.ssl ? (settings.caFile ? { ca: [readUserTextFile(settings.caFile, CA_FILE)] } : true) : false,
    ...(sasl ? { sasl } : {}),
    // kafkajs logs retriable broker errors at ERROR; ours are logged with context where handled.
    logLevel: logLevel.NOTHING,
  });
}
