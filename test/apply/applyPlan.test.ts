import { describe, expect, it } from 'vitest';
import { decideStep, formatPlan, hasChanges, isOrphan, orphanStep, type ConfigFacts } from '../../src/apply/applyPlan.ts';

const settled: ConfigFacts = {
  index: 'movies',
  configFile: '/configs/movies.yaml',
  provisioned: true,
  provisionSteps: [],
  mappingAdditions: [],
  liveVersionConflicts: [],
  fieldChanges: [],
  query: 'same',
  backfillRate: 200,
  pendingReindex: null,
  warnings: [],
};

describe('what apply does to one config', () => {
  it.each<[string, Partial<ConfigFacts>, string, string[]]>([
    ['a config never provisioned', { provisioned: false, query: 'unknown' }, 'create', ['new index', 'provision, then backfill (at most 200 entities/s)']],
    ['nothing changed', {}, 'unchanged', []],
    [
      'a query that gained a field',
      { query: 'changed', mappingAdditions: ['rating'], fieldChanges: ['rating: new in the documents'] },
      'reindex',
      [
        'query: changed since the live version was filled',
        'mapping: new field(s) the live documents lack: rating',
        'field rating: new in the documents',
        'new version backfilled (at most 200 entities/s), then the alias swaps',
      ],
    ],
    ['a query that only changed an argument', { query: 'changed' }, 'reindex', ['query: changed since the live version was filled', 'new version backfilled (at most 200 entities/s), then the alias swaps']],
    [
      'an analyzer the live version cannot take',
      { liveVersionConflicts: [{ about: 'settings', change: 'index.analysis: the analyzers changed' }], backfillRate: Number.POSITIVE_INFINITY },
      'reindex',
      ['settings: index.analysis: the analyzers changed', 'new version backfilled (at most no rate cap), then the alias swaps'],
    ],
    [
      'a shard count, and a document field whose path starts with index.',
      {
        liveVersionConflicts: [
          { about: 'settings', change: 'index.number_of_shards: 1 → 2 (fixed when a version is created)' },
          { about: 'mapping', change: 'index.rank: long → keyword' },
        ],
      },
      'reindex',
      ['settings: index.number_of_shards: 1 → 2 (fixed when a version is created)', 'mapping: index.rank: long → keyword', 'new version backfilled (at most 200 entities/s), then the alias swaps'],
    ],
    [
      'an index provisioned but never backfilled',
      { query: 'unknown' },
      'backfill',
      ['no full backfill of the live version recorded (never backfilled, or provisioned by an earlier fedsearch)', 'backfill in place (at most 200 entities/s)'],
    ],
    [
      'a graph change the live mapping takes (nullability)',
      { fieldChanges: ['title: string → null | string'], provisionSteps: ['record what was provisioned (new Avro schema version)'] },
      'update',
      ['field title: string → null | string (the live mapping takes it)', 'record what was provisioned (new Avro schema version)'],
    ],
    [
      'a warning alone (a source topic nobody created yet)',
      { warnings: ['source topic studio.movie.changes (Movie changes) does not exist yet'] },
      'unchanged',
      ['! source topic studio.movie.changes (Movie changes) does not exist yet'],
    ],
    ['a missing dead-letter topic', { provisionSteps: ['create topic movies.dlq (1 partition)'] }, 'update', ['create topic movies.dlq (1 partition)']],
    [
      // A mapping-only change: its field was added to the live version in place before the reindex, so only the stopped reindex is left to see.
      'a reindex stopped before its swap, nothing else differing',
      { pendingReindex: { target: 'movies_v2', done: 150, notResumable: null } },
      'reindex',
      ['resume the reindex into movies_v2 that stopped before its swap (150 entities done)', 'new version backfilled (at most 200 entities/s), then the alias swaps'],
    ],
    [
      'a reindex stopped before its swap, then the query changed again',
      { query: 'changed', pendingReindex: { target: 'movies_v2', done: 50, notResumable: 'movies_v2 was built for another query than the config\'s now' } },
      'reindex',
      [
        "resume the reindex into movies_v2 that stopped before its swap: not resumable (movies_v2 was built for another query than the config's now), a new version is built from the beginning",
        'query: changed since the live version was filled',
        'new version backfilled (at most 200 entities/s), then the alias swaps',
      ],
    ],
    [
      'a reindex announced to the sinks with no checkpoint of its pages',
      { pendingReindex: { target: 'movies_v2', done: null, notResumable: null } },
      'reindex',
      ['resume the reindex into movies_v2 that stopped before its swap: no checkpoint records its pages, a new version is built from the beginning', 'new version backfilled (at most 200 entities/s), then the alias swaps'],
    ],
  ])('%s: %s', (_case, facts, kind, reasons) => {
    expect(decideStep({ ...settled, ...facts })).toEqual({ index: 'movies', configFile: '/configs/movies.yaml', kind, reasons });
  });
});

describe('a config whose index\'s record names another config file', () => {
  it('moved (the file its record names no longer names the index): recorded as the index\'s, a change to make', () => {
    const step = decideStep({ ...settled, recordedConfig: { file: '/old/movies.yaml', claims: false } });
    expect(step).toEqual({
      index: 'movies',
      configFile: '/configs/movies.yaml',
      kind: 'update',
      reasons: ["record this config as the index's (its record names /old/movies.yaml, which no longer names movies: moved)"],
      previousConfigFile: '/old/movies.yaml',
    });
    expect(hasChanges([step])).toBe(true);
    expect(formatPlan([step])[0]).toBe("update  movies  /configs/movies.yaml: record this config as the index's (its record names /old/movies.yaml, which no longer names movies: moved)");
  });

  it('moved while it needs a backfill or reindex too: that step, recording the config as well', () => {
    const step = decideStep({ ...settled, query: 'changed', recordedConfig: { file: '/old/movies.yaml', claims: false } });
    expect(step.kind).toBe('reindex');
    expect(step.previousConfigFile).toBe('/old/movies.yaml');
    expect(step.reasons.at(-1)).toMatch(/^record this config as the index's/);
  });

  it('recorded by a hand-run provision (a relative path): recorded as applied from here', () => {
    const step = decideStep({ ...settled, recordedConfig: { file: 'movies.yaml', claims: false } });
    expect(step.kind).toBe('update');
    expect(step.reasons).toEqual(["record this config as the index's (its record names movies.yaml, a relative path: a hand-run provision's)"]);
  });

  it('claimed by a second config (the recorded file still names the index): said in the plan, not adopted', () => {
    const step = decideStep({ ...settled, recordedConfig: { file: '/other/movies.yaml', claims: true } });
    expect(formatPlan([step])[0]).toBe('unchanged  movies  /configs/movies.yaml: ! two configs claim movies: this one and /other/movies.yaml, the one its record names (kept): remove one of them');
    expect(step.previousConfigFile).toBeUndefined();
    expect(hasChanges([step])).toBe(false);
  });
});

describe('indexes whose config is gone', () => {
  const configured = new Set(['movies']);

  it('are apply\'s only when their record names a file in an applied directory and no config names them', () => {
    expect(isOrphan({ index: 'shows', configFile: '/configs/shows.yaml' }, ['/configs'], configured)).toBe(true);
    expect(isOrphan({ index: 'shows', configFile: '/configs/shows.yaml' }, ['/configs/'], configured)).toBe(true);
    // Renamed file, same index: still configured.
    expect(isOrphan({ index: 'movies', configFile: '/configs/old-movies.yaml' }, ['/configs'], configured)).toBe(false);
    // Another team's directory, a similar prefix, a relative path: never.
    expect(isOrphan({ index: 'shows', configFile: '/other/shows.yaml' }, ['/configs'], configured)).toBe(false);
    expect(isOrphan({ index: 'shows', configFile: '/configs-old/shows.yaml' }, ['/configs'], configured)).toBe(false);
    expect(isOrphan({ index: 'shows', configFile: 'shows.yaml' }, ['/configs'], configured)).toBe(false);
    // Files given one by one (no directory): nothing is pruned.
    expect(isOrphan({ index: 'shows', configFile: '/configs/shows.yaml' }, [], configured)).toBe(false);
  });

  it('are not the parent directory\'s when their record names a file in a nested directory (apply does not read subdirectories)', () => {
    // The search team applies /srv/configs/search/; the platform team applies /srv/configs/.
    expect(isOrphan({ index: 'search_movies', configFile: '/srv/configs/search/movies.yaml' }, ['/srv/configs'], configured)).toBe(false);
    expect(isOrphan({ index: 'search_movies', configFile: '/srv/configs/search/movies.yaml' }, ['/srv/configs/'], configured)).toBe(false);
    expect(isOrphan({ index: 'search_movies', configFile: '/srv/configs/search/movies.yaml' }, ['/srv/configs/search'], configured)).toBe(true);
  });

  it('are deleted only with --prune, and a kept one is still a change to make', () => {
    expect(orphanStep('shows', '/configs/shows.yaml', false).kind).toBe('would-delete');
    expect(orphanStep('shows', '/configs/shows.yaml', true).kind).toBe('delete');
    expect(hasChanges([orphanStep('shows', '/configs/shows.yaml', false)])).toBe(true);
    expect(hasChanges([decideStep(settled)])).toBe(false);
  });
});

describe('the printed plan', () => {
  it('is one line per index with its action, config and first reason, further reasons below, then a count', () => {
    const lines = formatPlan([
      decideStep(settled),
      decideStep({ ...settled, index: 'shop', configFile: '/configs/shop.yaml', query: 'changed' }),
      orphanStep('shows', '/configs/shows.yaml', false),
    ]);
    expect(lines).toEqual([
      'unchanged     movies  /configs/movies.yaml',
      'reindex       shop    /configs/shop.yaml: query: changed since the live version was filled',
      '                      new version backfilled (at most 200 entities/s), then the alias swaps',
      'would-delete  shows   /configs/shows.yaml: its config is gone; kept: --prune deletes it',
      'plan: 1 unchanged, 1 reindex, 1 would-delete',
    ]);
  });
});
