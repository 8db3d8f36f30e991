import { describe, expect, it } from 'vitest';
import type { IndexVerdict } from '../../src/evolution/classifyIndex.ts';
import { graphCheckOf } from '../../src/pipeline/graphWatch.ts';

const verdict = (rest: Partial<IndexVerdict>): IndexVerdict => ({
  index: 'movies',
  configFile: 'movies.yaml',
  classification: 'compatible',
  problems: [],
  changes: [],
  avro: null,
  mappingIncompatible: [],
  warnings: [],
  reasons: [],
  ...rest,
});
const ENUM_ADDED = { path: 'cast.role', field: 'CastMember.role', change: 'enum TalentRole values added: STUNT' };

/** What the running pipeline does about `fedsearch check`'s verdict on the graph as it is now. */
describe('graphCheckOf', () => {
  it('pauses for a query that breaks, with the field, its subgraph and the config line', () => {
    const problem = { file: 'movies.yaml', line: 33, col: 26, message: 'Cannot query field "name" on type "Talent".', field: 'Talent.name', subgraph: 'talent' };
    expect(graphCheckOf(verdict({ classification: 'breaks', problems: [problem] }), null)).toEqual({
      pause: { reason: 'breaks', field: 'Talent.name', subgraph: 'talent', message: 'movies.yaml:33:26: Cannot query field "name" on type "Talent".' },
      needsReindex: [],
    });
  });

  it('reports a shape change the provisioned reader still reads, without pausing', () => {
    const check = graphCheckOf(verdict({ classification: 'needs-reindex', changes: [ENUM_ADDED], avro: { readerCanRead: true } }), null);
    expect(check).toEqual({ pause: null, needsReindex: ['cast.role (CastMember.role): enum TalentRole values added: STUNT'] });
  });

  it('pauses for a shape change the provisioned reader cannot read', () => {
    const check = graphCheckOf(verdict({ classification: 'needs-reindex', changes: [ENUM_ADDED], avro: { readerCanRead: false, reason: 'no symbol STUNT' } }), null);
    expect(check.pause).toMatchObject({ reason: 'needs_reindex', field: 'CastMember.role' });
    expect(check.pause?.message).toContain('no symbol STUNT');
  });

  it('changes nothing for a compatible or unaffected graph', () => {
    expect(graphCheckOf(verdict({ classification: 'compatible' }), null)).toEqual({ pause: null, needsReindex: [] });
    expect(graphCheckOf(verdict({ classification: 'unaffected' }), null)).toEqual({ pause: null, needsReindex: [] });
  });
});
