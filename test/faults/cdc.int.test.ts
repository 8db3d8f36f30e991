// Change data capture on the real stack: the demo graph's teams keep their rows in PostgreSQL
// (one database per team), Debezium's connectors on a real Kafka Connect worker capture every
// commit, and the index reads Debezium's topics (`format: debezium`). One set of CDC services
// (PostgreSQL and Connect on this file's own ports, support/cdcServices.ts) serves every
// case. Besides the row-level cases, two faults — the Connect worker SIGKILLed and PostgreSQL
// restarted, both while the graph changes — each end with a clean `fedsearch audit --full`.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackfillProgress } from '../../src/backfill/backfillProgress.ts';
import { runBackfill } from '../../src/backfill/runBackfill.ts';
import { runPipeline, type RunningPipeline } from '../../src/pipeline/runPipeline.ts';
import { kafkaConnectService } from '../../stack/kafkaConnectService.ts';
import { postgresService } from '../../stack/postgresService.ts';
import { captureTeamDatabases } from '../../stack/teamCapture.ts';
import { startChangeGenerator, type ChangeKind } from '../../subgraphs/changeGenerator.ts';
import { startDemoGraph, type DemoGraph } from '../../subgraphs/startDemoGraph.ts';
import { createIndexHarness, eventually, indexedDocument, readDeadLetters, type IndexHarness } from '../../support/indexHarness.ts';
import { startCdcServices, type CdcServices } from '../../support/cdcServices.ts';
import { auditEventuallyClean, CLEAN_AUDIT } from '../support/cliAudit.ts';

// Below the ephemeral port range (32768–60999): a client socket of the suite can hold a port in it.
const PG_PORT = 25444;
const CONNECT_PORT = 18085;
const MOVIES = 200;
const CHANGES_PER_SECOND = 10;
const started = Date.now();
const say = (message: string): void => void process.stderr.write(`[cdc faults +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
const quiet: BackfillProgress = { update: () => {}, note: () => {}, stop: () => {} };

interface MovieDocument {
  title: string;
  cast: Array<{ talent: { talentId: string; name: string } }>;
}

describe('change data capture: PostgreSQL rows through Debezium to the index', () => {
  let services: CdcServices;
  let graph: DemoGraph;
  let h: IndexHarness;
  let pipeline: RunningPipeline;
  let prefix: string;
  let cdcTopics: string[];

  const psql = (database: string, sql: string): Promise<string> => services.psql(database, sql);
  const documentOf = (id: string): Promise<MovieDocument | null> => indexedDocument<MovieDocument>(h, id);
  const skipped = async (reason: string): Promise<number> => {
    const text = await (await fetch(`${pipeline.metricsUrl}/metrics`)).text();
    const pattern = new RegExp(`fedsearch_events_skipped_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)`, 'g');
    return [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
  };

  /** Mutations through the gateway (SQL transactions) while `fault` runs; a mutation refused during it is expected. */
  const changingWhile = async (fault: () => Promise<void>): Promise<void> => {
    const failures: Array<{ kind: ChangeKind; message: string }> = [];
    const generator = startChangeGenerator({
      gatewayUrl: graph.gatewayUrl,
      movies: MOVIES,
      perSecond: CHANGES_PER_SECOND,
      seed: 7,
      onError: (error, kind) => failures.push({ kind, message: error.message }),
    });
    try {
      await sleep(3_000);
      await fault();
      await sleep(3_000);
    } finally {
      await generator.stop();
    }
    const counts = generator.counts();
    expect(counts.movie + counts.production + counts.talent + counts.credit).toBeGreaterThan(0);
    say(`changes: ${JSON.stringify(counts)}; refused while the fault lasted: ${failures.length}`);
  };

  /** After a fault: `fedsearch audit --full` eventually clean, and not one dead letter. */
  const expectCleanAndNoLetters = async (): Promise<void> => {
    say('fault over; auditing');
    const report = await auditEventuallyClean(h, 240_000);
    say('audit clean');
    for (const line of CLEAN_AUDIT) expect(report).toMatch(line);
    expect(await readDeadLetters(h.kafka, `${h.index}.dlq`)).toEqual([]);
  };

  beforeAll(async () => {
    services = await startCdcServices({ pgPort: PG_PORT, connectPort: CONNECT_PORT, kafkaBrokers: inject('kafkaBrokers'), say });
    prefix = `fscdc${services.runId}`;
    // Each team's connector has a topic prefix of its own: `<namespace>.<database>`.
    cdcTopics = [['movies', 'movies'], ['productions', 'productions'], ['talent', 'talent'], ['talent', 'credits']].map(([database, table]) => `${prefix}.${database}.public.${table}`);
    say('CDC services up');
    graph = await startDemoGraph({ movies: MOVIES, kafkaBrokers: null, postgresUrl: services.pgUrl, ports: { gateway: 0, movies: 0, productions: 0, talent: 0 } });
    const [movies, productions, talent, credits] = cdcTopics as [string, string, string, string];
    const heartbeats = `__debezium-heartbeat.${prefix}.movies`;
    h = await createIndexHarness({
      elasticsearchUrl: inject('elasticsearchUrl'),
      kafkaBrokers: inject('kafkaBrokers'),
      movies: MOVIES,
      graph,
      edit: (yaml) => {
        const debezium = (indent: string, topic: string, id: string): string => `${indent}- topic: ${topic}\n${indent}  format: debezium\n${indent}  id: ${id}\n`;
        const edited = yaml
          .replace(/    - topic: it\.\w+\.movie\.changes\n      id: after\.movieId\n/, debezium('    ', movies, 'id') + debezium('    ', heartbeats, 'id'))
          .replace(/    - topic: it\.\w+\.credit\.changes\n      id: after\.movieId\n/, debezium('    ', credits, 'movie_id'))
          .replace(/      - topic: it\.\w+\.production\.changes\n        id: after\.ptpId\n/, debezium('      ', productions, 'id'))
          .replace(/      - topic: it\.\w+\.talent\.changes\n        id: after\.talentId\n/, debezium('      ', talent, 'id'));
        if (edited.includes('.changes\n')) throw new Error(`the movies config has an event source this test does not replace:\n${edited}`);
        return edited;
      },
    });
    say('graph and index harness ready');
    // The rows already there are indexed by the backfill; the connectors stream what follows.
    await captureTeamDatabases({
      connectUrl: services.connectUrl,
      pgUrl: services.pgUrl,
      kafkaBrokers: inject('kafkaBrokers'),
      topics: [...cdcTopics, heartbeats],
      source: { namespace: prefix, heartbeatIntervalMs: 1_000 },
    });
    say('connectors streaming');
    pipeline = await runPipeline(h.loaded, { stage: 'all', metricsPort: 0 });
    await runBackfill(h.loaded, { rate: Number.POSITIVE_INFINITY, resume: false, newVersion: false, cleanup: false, graceSeconds: 0 }, quiet);
    say('backfilled');
  }, 600_000);

  afterAll(async () => {
    await pipeline?.stop();
    await h?.dispose();
    await graph?.stop();
    const heartbeatTopics = ['movies', 'productions', 'talent'].map((database) => `__debezium-heartbeat.${prefix}.${database}`);
    await services?.stop(cdcTopics === undefined ? [] : [...cdcTopics, ...heartbeatTopics]);
  }, 180_000);

  it("a row updated in PostgreSQL reaches its document, and a talent's new name every movie crediting them", async () => {
    await psql('movies', "UPDATE movies SET title = 'Retitled In SQL' WHERE id = 'mov-0000001'");
    await eventually('the retitled movie', async () => ((await documentOf('mov-0000001'))?.title === 'Retitled In SQL' ? true : undefined), 60_000);

    const talentId = await psql('talent', 'SELECT talent_id FROM credits GROUP BY talent_id HAVING count(DISTINCT movie_id) >= 2 ORDER BY talent_id LIMIT 1');
    const movieIds = (await psql('talent', `SELECT DISTINCT movie_id FROM credits WHERE talent_id = '${talentId}' ORDER BY movie_id`)).split('\n');
    expect(movieIds.length).toBeGreaterThanOrEqual(2);
    await psql('talent', `UPDATE talent SET name = 'Renamed In SQL' WHERE id = '${talentId}'`);
    for (const movieId of movieIds) {
      await eventually(
        `${movieId} crediting ${talentId} under the new name`,
        async () => ((await documentOf(movieId))?.cast.some((member) => member.talent.talentId === talentId && member.talent.name === 'Renamed In SQL') ? true : undefined),
        60_000,
      );
    }
  }, 150_000);

  it('a deleted row removes its document without a dead letter; tombstones and heartbeats are skipped', async () => {
    expect(await documentOf('mov-0000002')).not.toBeNull();
    const tombstonesBefore = await skipped('tombstone');
    await psql('talent', "DELETE FROM credits WHERE movie_id = 'mov-0000002'");
    await psql('productions', "DELETE FROM productions WHERE movie_id = 'mov-0000002'");
    await psql('movies', "DELETE FROM movies WHERE id = 'mov-0000002'");
    await eventually('the document removed', async () => ((await documentOf('mov-0000002')) === null ? true : undefined), 60_000);
    await eventually('the tombstones skipped', async () => ((await skipped('tombstone')) > tombstonesBefore ? true : undefined), 60_000);
    await eventually('a heartbeat skipped', async () => ((await skipped('heartbeat')) > 0 ? true : undefined), 60_000);
    expect(await readDeadLetters(h.kafka, `${h.index}.dlq`)).toEqual([]);
  }, 150_000);

  it('fault: the Kafka Connect worker SIGKILLed mid-stream and started again loses no change', async () => {
    const connect = kafkaConnectService();
    await changingWhile(async () => {
      const state = await connect.state();
      if (state.state === 'stopped') throw new Error('Kafka Connect is not running');
      process.kill(state.pid, 'SIGKILL');
      await eventually('the worker gone', async () => ((await connect.state()).state === 'stopped' ? true : undefined), 30_000);
      await sleep(3_000);
      await connect.start(say);
      say('worker started again');
    });
    await expectCleanAndNoLetters();
  }, 400_000);

  it('fault: PostgreSQL restarted mid-stream loses no change', async () => {
    const postgres = postgresService();
    await changingWhile(async () => {
      await postgres.stop(say);
      await sleep(3_000);
      await postgres.start(say);
    });
    await expectCleanAndNoLetters();
  }, 400_000);
});
