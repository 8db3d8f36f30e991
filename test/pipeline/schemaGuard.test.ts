import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PipelineEvents } from '../../src/pipeline/pipelineEvents.ts';
import { PipelineStopping, SchemaGuard, type GraphCheck, type PauseCause } from '../../src/pipeline/schemaGuard.ts';
import type { SchemaRejection } from '../../src/pipeline/schemaRejection.ts';

const REFUSED: SchemaRejection = { message: 'Cannot query field "name" on type "Talent".', field: 'Talent.name', subgraphUrl: 'http://talent/graphql' };
const BREAKS: PauseCause = { reason: 'breaks', field: 'Talent.name', subgraph: 'talent', message: 'movies.yaml:33:26: Cannot query field "name" on type "Talent".' };
const FINE: GraphCheck = { pause: null, needsReindex: [] };

/** A guard over fakes: the graph check answers what `graph.now` says; log lines, consumer calls and events are recorded. */
function guardOver(): {
  guard: SchemaGuard;
  graph: { now: GraphCheck | null };
  logs: Array<{ level: number; msg: string }>;
  consuming: string[];
  events: string[];
} {
  const logs: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) });
  const consuming: string[] = [];
  const events = new PipelineEvents();
  const seen: string[] = [];
  events.on('pipeline.paused', ({ reason }) => void seen.push(`paused ${reason}`));
  events.on('pipeline.resumed', () => void seen.push('resumed'));
  events.on('pipeline.needs_reindex', ({ fields }) => void seen.push(`needs_reindex ${fields}`));
  const graph: { now: GraphCheck | null } = { now: FINE };
  const guard = new SchemaGuard({
    checkGraph: async () => graph.now,
    causeOf: (rejection) => ({ reason: 'subgraph_rejects', field: rejection.field, subgraph: 'talent', message: rejection.message }),
    pauseConsuming: () => void consuming.push('pause'),
    resumeConsuming: () => void consuming.push('resume'),
    events,
    logger,
    recheckMs: 60_000,
  });
  return { guard, graph, logs, consuming, events: seen };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SchemaGuard: pause instead of failing when the graph changes under the query', () => {
  it('pauses once on refused fetches, however many, and says why in one log line', async () => {
    const { guard, logs, consuming, events } = guardOver();
    const waits = [guard.rejected(REFUSED, async () => {}), guard.rejected(REFUSED, async () => {}), guard.rejected(REFUSED, async () => {})];
    await settle();
    expect(guard.status.paused).toMatchObject({ reason: 'subgraph_rejects', field: 'Talent.name', subgraph: 'talent' });
    expect(consuming).toEqual(['pause']);
    expect(events).toEqual(['paused subgraph_rejects']);
    const pauseLines = logs.filter((line) => line.msg.startsWith('paused:'));
    expect(pauseLines).toHaveLength(1);
    expect(pauseLines[0]?.msg).toContain('Talent.name, subgraph talent: Cannot query field "name" on type "Talent".');
    guard.stop();
    await Promise.allSettled(waits);
  });

  it('lets the waiting fetches try again at each re-check, and resumes when one gets through', async () => {
    const { guard, consuming, events, logs } = guardOver();
    let released = 0;
    const wait = guard.rejected(REFUSED, async () => {}).then(() => void released++);
    await settle();
    await guard.tick();
    await wait;
    expect(released).toBe(1);
    expect(guard.status.paused).not.toBeNull(); // tried again, not yet through
    guard.accepted(guard.sending(), () => true);
    expect(guard.status.paused).toBeNull();
    expect(consuming).toEqual(['pause', 'resume']);
    expect(events).toEqual(['paused subgraph_rejects', 'resumed']);
    expect(logs.filter((line) => line.msg.startsWith('resumed:'))).toHaveLength(1);
  });

  it('pauses on a graph check that breaks the query, with no fetch refused, and resumes when the graph is fixed', async () => {
    const { guard, graph, consuming } = guardOver();
    guard.graphChecked({ pause: BREAKS, needsReindex: [] });
    expect(guard.status.paused).toMatchObject({ reason: 'breaks', field: 'Talent.name', subgraph: 'talent' });
    graph.now = FINE;
    await guard.tick();
    expect(guard.status.paused).toBeNull();
    expect(consuming).toEqual(['pause', 'resume']);
  });

  it('stays paused while the graph still breaks the query, even when a fetch got through', async () => {
    const { guard, graph } = guardOver();
    graph.now = { pause: BREAKS, needsReindex: [] };
    guard.graphChecked(graph.now);
    const wait = guard.rejected(REFUSED, async () => {});
    await settle();
    guard.accepted(guard.sending(), () => true);
    expect(guard.status.paused?.reason).toBe('breaks');
    guard.stop();
    await expect(wait).rejects.toBeInstanceOf(PipelineStopping);
  });

  it('reports a shape change the provisioned reader still reads as needs reindex, without pausing', () => {
    const { guard, consuming, events, logs } = guardOver();
    const change = 'cast.role (CastMember.role): enum TalentRole values added: STUNT';
    guard.graphChecked({ pause: null, needsReindex: [change] });
    guard.graphChecked({ pause: null, needsReindex: [change] });
    expect(guard.status).toEqual({ paused: null, needsReindex: [change], graphWarnings: [] });
    expect(consuming).toEqual([]);
    expect(events).toEqual(['needs_reindex 1']);
    expect(logs.filter((line) => line.msg.startsWith('needs reindex:'))).toHaveLength(1);
  });

  it('stays paused on an answer to a request sent before the refusal was seen (one line), and resumes on one sent after', async () => {
    const { guard, logs } = guardOver();
    const before = guard.sending(); // in flight when the refusal came back
    const waiting = guard.rejected(REFUSED, async () => {});
    await settle();
    guard.accepted(before, () => true);
    expect(guard.status.paused).toMatchObject({ reason: 'subgraph_rejects', subgraph: 'talent' });
    guard.accepted(guard.sending(), () => true);
    expect(guard.status.paused).toBeNull();
    expect(logs.filter((line) => line.msg.startsWith('paused:'))).toHaveLength(1);
    expect(logs.filter((line) => line.msg.startsWith('resumed:'))).toHaveLength(1);
    await waiting;
  });

  it('stays paused on an answer that never asked the refusing subgraph (movies with no cast), and resumes on one that did, or whose subgraphs are not known', async () => {
    const { guard, logs } = guardOver();
    const waiting = guard.rejected(REFUSED, async () => {});
    await settle();
    guard.accepted(guard.sending(), (subgraph) => subgraph === 'movies');
    const again = guard.rejected(REFUSED, async () => {});
    await settle();
    expect(guard.status.paused).not.toBeNull();
    expect(logs.filter((line) => line.msg.startsWith('paused:'))).toHaveLength(1);
    expect(logs.filter((line) => line.msg.startsWith('resumed:'))).toHaveLength(0);
    guard.accepted(guard.sending(), () => null); // no supergraph: the answer cannot say, so it is taken as before
    expect(guard.status.paused).toBeNull();
    await Promise.all([waiting, again]);
    guard.rejected(REFUSED, async () => {}).catch(() => undefined);
    await settle();
    guard.accepted(guard.sending(), (subgraph) => subgraph === 'talent' || subgraph === 'movies');
    expect(guard.status.paused).toBeNull();
    expect(logs.filter((line) => line.msg.startsWith('resumed:'))).toHaveLength(2);
    guard.stop();
  });

  it('names the cause that pauses it now when another field breaks while paused (the first rolled back), keeping since, with one line', async () => {
    let now = Date.parse('2026-12-07T03:00:00Z');
    const logs: Array<{ level: number; msg: string }> = [];
    const events = new PipelineEvents();
    const seen: string[] = [];
    events.on('pipeline.paused', ({ reason }) => void seen.push(`paused ${reason}`));
    const guard = new SchemaGuard({
      checkGraph: async () => null,
      causeOf: () => BREAKS,
      pauseConsuming: () => {},
      resumeConsuming: () => {},
      events,
      logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) }),
      recheckMs: 60_000,
      now: () => new Date(now),
    });
    const synopsis: PauseCause = { reason: 'breaks', field: 'Movie.synopsis', subgraph: 'movies', message: 'movies.yaml:15:7: Cannot query field "synopsis" on type "Movie".' };
    guard.graphChecked({ pause: BREAKS, needsReindex: [] });
    now += 30_000;
    guard.graphChecked({ pause: synopsis, needsReindex: [] });
    guard.graphChecked({ pause: synopsis, needsReindex: [] });
    expect(guard.status.paused).toEqual({ ...synopsis, since: '2026-12-07T03:00:00.000Z' });
    expect(logs.filter((line) => line.msg.startsWith('paused:'))).toHaveLength(1);
    const moved = logs.filter((line) => line.msg.startsWith('still paused'));
    expect(moved).toHaveLength(1);
    expect(moved[0]?.msg).toContain('Movie.synopsis, subgraph movies: movies.yaml:15:7: Cannot query field "synopsis" on type "Movie".');
    expect(seen).toEqual(['paused breaks']); // the reason (and so the metric) did not change
    guard.stop();
  });

  it('keeps indexing through a graph change that breaks only backfill.query or related[], warning once per change and showing it in the status', async () => {
    const { guard, graph, logs, consuming } = guardOver();
    const backfill = 'movies.yaml:84:7: backfill.query: Cannot query field "movies" on type "Query".';
    const related = 'movies.yaml:55:11: related[1].type: type Talent is not in the graph\'s schema';
    graph.now = { pause: null, needsReindex: [], graphWarnings: [backfill] };
    await guard.tick();
    await guard.tick();
    graph.now = { pause: null, needsReindex: [], graphWarnings: [backfill, related] };
    await guard.tick();
    expect(guard.status).toEqual({ paused: null, needsReindex: [], graphWarnings: [backfill, related] });
    expect(consuming).toEqual([]);
    const warnings = logs.filter((line) => line.msg.startsWith('the graph changed under parts of the config run does not use'));
    expect(warnings.map((line) => line.level)).toEqual([40, 40]);
    expect(warnings[0]?.msg).toContain(backfill);
    expect(warnings[1]?.msg).toContain(related);
    expect(warnings[1]?.msg).not.toContain(backfill);
    expect(warnings[1]?.msg).toContain('indexing goes on');
    graph.now = FINE;
    await guard.tick();
    expect(guard.status.graphWarnings).toEqual([]);
  });

  it('with no fetch left waiting (they went up in a rebalance), resumes consuming to try, and pauses again on a refusal', async () => {
    const { guard, consuming } = guardOver();
    const wait = guard.rejected(REFUSED, async () => {});
    await settle();
    guard.stop();
    await expect(wait).rejects.toBeInstanceOf(PipelineStopping);
    const fresh = guardOver();
    const first = fresh.guard.rejected(REFUSED, async () => {});
    await settle();
    await fresh.guard.tick(); // releases the waiting fetch
    await first;
    await fresh.guard.tick(); // nothing waits now: consuming resumes to try
    expect(fresh.consuming).toEqual(['pause', 'resume']);
    expect(fresh.guard.status.paused).not.toBeNull();
    const again = fresh.guard.rejected(REFUSED, async () => {});
    await settle();
    expect(fresh.consuming).toEqual(['pause', 'resume', 'pause']);
    fresh.guard.stop();
    await expect(again).rejects.toBeInstanceOf(PipelineStopping);
    expect(consuming).toEqual(['pause']);
  });
});
