import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { mergedRegistries } from '../../src/pipeline/mergedMetrics.ts';

describe('one /metrics for many indexes', () => {
  it('gives each family one HELP and TYPE, with every index\'s samples under it', async () => {
    const registries = ['movies', 'products'].map((index) => {
      const registry = new Registry();
      registry.setDefaultLabels({ index });
      new Counter({ name: 'fedsearch_events_total', help: 'Change events read', labelNames: ['topic'], registers: [registry] }).inc({ topic: `${index}.changes` }, 2);
      return registry;
    });
    const text = await mergedRegistries(() => registries, registries[0]?.contentType as string).metrics();
    expect(text.match(/^# HELP fedsearch_events_total /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE fedsearch_events_total counter$/gm)).toHaveLength(1);
    expect(text).toContain('fedsearch_events_total{topic="movies.changes",index="movies"} 2');
    expect(text).toContain('fedsearch_events_total{topic="products.changes",index="products"} 2');
  });
});
