import { describe, expect, it } from 'vitest';
import { metricSum } from '../../bench/prometheusText.ts';

const page = `# HELP fedsearch_batch_messages Messages per batch
# TYPE fedsearch_batch_messages histogram
fedsearch_batch_messages_bucket{le="10",stage="enrich",index="movies"} 3
fedsearch_batch_messages_sum{stage="enrich",index="movies"} 1500
fedsearch_batch_messages_count{stage="enrich",index="movies"} 8
fedsearch_batch_messages_sum{stage="sink",index="movies"} 6000
fedsearch_batch_messages_count{stage="sink",index="movies"} 17
fedsearch_events_total{topic="a",outcome="decoded",index="movies"} 40
fedsearch_events_total{topic="b",outcome="decoded",index="movies"} 2
fedsearch_events_total_extra 1000
fedsearch_batch_messages_count{substage="enrich",index="movies"} 900
fedsearch_index_refreshes_total 5
`;

describe('metricSum', () => {
  it('adds the samples of one metric whose labels match, not of a longer name it prefixes', () => {
    expect(metricSum(page, 'fedsearch_batch_messages_count', { stage: 'enrich' })).toBe(8);
    expect(metricSum(page, 'fedsearch_batch_messages_sum', { stage: 'sink' })).toBe(6000);
    expect(metricSum(page, 'fedsearch_events_total')).toBe(42);
    expect(metricSum(page, 'fedsearch_events_total', { topic: 'b' })).toBe(2);
    expect(metricSum(page, 'fedsearch_index_refreshes_total')).toBe(5);
    expect(metricSum(page, 'fedsearch_retries_total')).toBe(0);
  });
});
