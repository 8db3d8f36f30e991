import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** How log lines are written: one JSON object a line (for log pipelines), or a line a person reads. */
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/**
 * The format FEDSEARCH_LOG_FORMAT asks for (`--log-format` sets it), else readable lines on a
 * terminal and JSON everywhere else — a person at a prompt should not read raw JSON, a log
 * shipper should not parse prose.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, stdoutIsTerminal = process.stdout.isTTY === true): LogFormat {
  const asked = env.FEDSEARCH_LOG_FORMAT;
  if (asked === undefined || asked === '') return stdoutIsTerminal ? 'pretty' : 'json';
  if ((LOG_FORMATS as readonly string[]).includes(asked)) return asked as LogFormat;
  throw new Error(`FEDSEARCH_LOG_FORMAT is "${asked}"; use one of ${LOG_FORMATS.join(', ')}`);
}

/**
 * The logger of the long-running commands. Every line carries the index and the component; errors
 * add entity ids and topic/partition/offset as fields. FEDSEARCH_LOG_LEVEL sets the level (default
 * info), FEDSEARCH_LOG_FORMAT the format (see logFormat).
 */
export function createLogger(index: string, component: string): Logger {
  const options = { level: process.env.FEDSEARCH_LOG_LEVEL ?? 'info', base: { index, component } };
  if (logFormat() === 'json') return pino(options);
  // Synchronous, in this thread: lines stay in order with what the commands print themselves.
  const pretty = PinoPretty({
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
