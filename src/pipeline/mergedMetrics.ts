import type { Registry } from 'prom-client';

/**
 * One /metrics for many registries (a `run` process's indexes, each labelled with its index, and
 * the process's own): each metric family once, with the samples of every registry that has it.
 * Their texts cannot simply be concatenated: a family's HELP and TYPE twice is invalid exposition,
 * and prom-client's Registry.merge refuses two metrics of the same name.
 */
export function mergedRegistries(registries: () => ReadonlyArray<Pick<Registry, 'metrics'>>, contentType: string): Pick<Registry, 'metrics' | 'contentType'> {
  return {
    contentType: contentType as Registry['contentType'],
    async metrics() {
      return mergeExpositions(await Promise.all(registries().map((registry) => registry.metrics())));
    },
  };
}

/** Prometheus text expositions merged by family, in the order families first appear. */
export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  for (const text of texts) {
    let current: { header: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const header = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (header) {
        const name = header[2] as string;
        let family = families.get(name);
        if (!family) families.set(name, (family = { header: [], samples: [] }));
        // The first registry's HELP and TYPE stand for all.
        if (family.header.length < 2 && !family.header.includes(line)) family.header.push(line);
        current = family;
        continue;
      }
      current?.samples.push(line);
    }
  }
  return [...families.values()].map((family) => [...family.header, ...family.samples].join('\n')).join('\n\n') + '\n';
}
