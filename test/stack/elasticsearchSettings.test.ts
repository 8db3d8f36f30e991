import { describe, expect, it } from 'vitest';
import { elasticsearchSettingsArgs } from '../../stack/elasticsearchService.ts';

describe('FEDSEARCH_ES_SETTINGS', () => {
  it('passes each key=value to the node as -E, split on spaces or commas', () => {
    expect(elasticsearchSettingsArgs('thread_pool.refresh.max=2, indices.memory.index_buffer_size=20%')).toEqual([
      '-E',
      'thread_pool.refresh.max=2',
      '-E',
      'indices.memory.index_buffer_size=20%',
    ]);
  });

  it('passes nothing when unset or blank', () => {
    expect(elasticsearchSettingsArgs('')).toEqual([]);
    expect(elasticsearchSettingsArgs('  ')).toEqual([]);
  });

  it('refuses a pair without a value, naming it', () => {
    expect(() => elasticsearchSettingsArgs('thread_pool.refresh.max')).toThrow('"thread_pool.refresh.max" is not key=value');
    expect(() => elasticsearchSettingsArgs('=2')).toThrow('"=2" is not key=value');
  });
});
