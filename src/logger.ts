import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs (one object per line) for the long-running commands. Every line carries
 * the index; errors add entity ids and topic/partition/offset as fields. FEDSEARCH_LOG_LEVEL sets
 * the level (default info).
 */
export function createLogger(index: string, component: string): Logger {
  return pino({ level: process.env.FEDSEARCH_LOG_LEVEL ?? 'info', base: { index, component } });
}

export type { Logger };
