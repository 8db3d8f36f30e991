import { describe, expect, it } from 'vitest';
import { logFormat } from '../src/logFormat.ts';

describe('logFormat', () => {
  it('writes readable lines to a terminal and JSON to anything else (a pipe, a file, a log shipper)', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
  });

  it('lets FEDSEARCH_LOG_FORMAT (or --log-format) choose either way', () => {
    expect(logFormat({ FEDSEARCH_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ FEDSEARCH_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
  });

  it('names the variable and the choices when the value is unknown', () => {
    expect(() => logFormat({ FEDSEARCH_LOG_FORMAT: 'xml' }, true)).toThrow('FEDSEARCH_LOG_FORMAT is "xml"; use one of json, pretty');
  });
});
