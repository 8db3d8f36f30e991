import { pino, type Logger } from 'pino';
import { withHiddenValues } from './hiddenValues.ts';
import { lazyRequire } from './lazyRequire.ts';
import { logFormat, type LogFormat } from './logFormat.ts';

/** pino-pretty, loaded only for the readable format (a service logging JSON never needs it). */
const pinoPretty = lazyRequire<typeof import('pino-pretty')>('pino-pretty');

/**
 * The logger of the long-running commands. Every line carries the index and the component; errors
 * add entity ids and topic/partition/offset as fields. FEDSEARCH_LOG_LEVEL sets the level (default
 * info), FEDSEARCH_LOG_FORMAT the format (see logFormat).
 */
export function createLogger(index: string, component: string): Logger {
  const options = {
    level: process.env.FEDSEARCH_LOG_LEVEL ?? 'info',
    base: { index, component },
    // Each line, once serialized, loses any `${VAR}` value or credential it quotes (a topic, a
    // broker, a client's error message) before it is written, in either format.
    hooks: { streamWrite: withHiddenValues },
  };
  if (logFormat() === 'json') return pino(options);
  // Synchronous, in this thread: lines stay in order with what the commands print themselves.
  const pretty = pinoPretty().PinoPretty({
    sync: true,
    destination: 1,
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss',
    // A person reads the error's message; its stack is in the JSON format, for whoever debugs.
    ignore: 'pid,hostname,index,component,err',
    messageFormat: '[{index} {component}] {msg}{if err.message}: {err.message}{end}',
    singleLine: true,
  });
  return pino(options, pretty);
}

export type { Logger };
