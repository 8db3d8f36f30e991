// Its own module, without pino: the CLI offers the formats in `--help` before anything logs.

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
