// The README's first command, end to end: `fedsearch demo` on a small studio. It uses the demo's
// fixed ports (gateway 4000–4004, search 8080, metrics 9464), which must be free, and a stack of
// its own on other ports (the suite's stack is already running, and a demo leaves a stack it did not
// start running), so the test sees the demo start Kafka, Elasticsearch, PostgreSQL and Kafka
// Connect and stop them on Ctrl-C. The teams' rows are in PostgreSQL and reach the index through
// Debezium: the generated changes, and one made by hand with psql.
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { findPostgres } from '../../stack/postgresInstall.ts';
import { isPortFree } from '../../stack/processControl.ts';
import { postGraphQL } from '../../subgraphs/shared/postGraphQL.ts';
import { eventually } from '../../support/indexHarness.ts';
import { exitOf, pressCtrlC, spawnCliAsUser } from '../support/userCli.ts';

const DEMO_PORTS = [4000, 4001, 4002, 4003, 4004, 4005, 8080, 9464];
const DEMO_STACK = { FEDSEARCH_KAFKA_PORT: '19092', FEDSEARCH_ES_PORT: '19200', FEDSEARCH_PG_PORT: '19432', FEDSEARCH_CONNECT_PORT: '19083' };
/** Kafka's broker and controller ports, Elasticsearch's HTTP and transport ports, PostgreSQL's and Connect's. */
const DEMO_STACK_PORTS = [19092, 19093, 19200, 19300, 19432, 19083];
const run = promisify(execFile);

describe('fedsearch demo', () => {
  let demo: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';

  afterAll(async () => {
    if (!demo || demo.exitCode !== null || demo.signalCode !== null) return;
    // A failed assertion left the demo running: stop it as a person would, so the stack it
    // started goes down with it and does not squat on ports later files start their own stacks on.
    const exited = exitOf(demo);
    pressCtrlC(demo);
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 90_000))]);
    if (!stopped) demo.kill('SIGKILL');
  }, 120_000);

  it('backfills, prints its URLs, keeps the index moving with generated changes, and stops on Ctrl-C', async () => {
    const taken = [];
    for (const port of [...DEMO_PORTS, ...DEMO_STACK_PORTS]) if (!(await isPortFree(port))) taken.push(port);
    expect(taken, 'ports the demo needs are taken by another process').toEqual([]);

    // As a person runs it: NODE_ENV unset, Ctrl-C to the process group, logs as a terminal shows them.
    // --fresh: the team databases may hold this studio from an earlier run, with the row this test inserts.
    demo = spawnCliAsUser(['demo', '--movies', '300', '--fresh', '--changes-per-second', '5', '--log-format', 'pretty'], {
      env: { ...DEMO_STACK, FEDSEARCH_LOG_LEVEL: 'info' },
    });
    demo.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
    demo.stderr?.on('data', (chunk: Buffer) => void (stderr = `${stderr}${chunk.toString('utf8')}`.slice(-50_000)));
    const exited = exitOf(demo);

    const searchUrl = await eventually(
      'the search page URL',
      async () => {
        if (demo?.exitCode !== null) throw new Error(`the demo exited early (${demo?.exitCode}):\n${stderr}`);
        return /^search page +(http:\/\/\S+)\//m.exec(stdout)?.[1];
      },
      300_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
    });
    expect(stdout).toMatch(/^gateway +http:\/\/127\.0\.0\.1:4000\/graphql/m);
    expect(stdout).toMatch(/^metrics +http:\/\/127\.0\.0\.1:9464\/metrics/m);
    expect(stderr).toMatch(/backfilled 300 movies/);
    expect(stderr).toMatch(/^starting Apache Kafka .*$/m);
    expect(stderr).toMatch(/^starting Elasticsearch .*$/m);
    expect(stderr).toMatch(/^starting PostgreSQL .*$/m);
    expect(stderr).toMatch(/^starting Kafka Connect .*$/m);
    expect(stdout).toMatch(/^change topics +movies\.public\.movies, productions\.public\.productions, talent\.public\.talent, talent\.public\.credits$/m);
    expect(stdout).toMatch(/^connectors +cdc-movies \((created|unchanged)\), cdc-productions/m);
    // Readable lines, not JSON; and start-up retries of Kafka clients are no ERROR.
    expect(stdout).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: \[movies pipeline-all\] /m);
    for (const output of [stdout, stderr]) {
      expect(output).not.toMatch(/^\{/m);
      expect(output).not.toMatch(/ERROR/);
    }

    // Search through the HTTP API and through the gateway's searchMovies.
    const response = await fetch(`${searchUrl}/v1/indexes/movies/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 1 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { total: number };
    expect(body.total).toBe(300);
    const viaGraph = await postGraphQL<{ searchMovies: { totalCount: number } }>(
      'http://127.0.0.1:4000/graphql',
      '{ searchMovies { totalCount } }',
    );
    expect(viaGraph.searchMovies.totalCount).toBe(300);

    // The change generator runs, and its retitles become searchable.
    const retitled = await eventually(
      'a generated retitle',
      async () => {
        const matches = [...stderr.matchAll(/^change {2}movie (mov-\d+) retitled "([^"]+)"/gm)];
        return matches.at(-1);
      },
      60_000,
    );
    const [, movieId, title] = retitled;
    await eventually(
      `${movieId} searchable under "${title}" (or a later title)`,
      async () => {
        const { movie } = await postGraphQL<{ movie: { title: string } }>('http://127.0.0.1:4000/graphql', 'query($id: ID!) { movie(movieId: $id) { title } }', { id: movieId });
        const found = await fetch(`${searchUrl}/v1/indexes/movies/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ filter: `movieId == "${movieId}" AND title == "${movie.title}"` }),
        });
        return found.ok && ((await found.json()) as { total: number }).total === 1 ? true : undefined;
      },
      60_000,
    );

    // A row written by hand in the movies team's database reaches the index like any other change
    // (a new movie: the generator changes only the studio's own).
    const searchTitle = async (title: string): Promise<number> => {
      const found = await fetch(`${searchUrl}/v1/indexes/movies/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filter: `title == "${title}"` }),
      });
      return ((await found.json()) as { total: number }).total;
    };
    const handTitle = `Edited By Hand ${Date.now()}`;
    await run(findPostgres().psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', 'postgresql://postgres@127.0.0.1:19432/movies', '-c', `INSERT INTO movies (id, title, genres, original_language, updated_at) VALUES ('mov-0009999', '${handTitle}', '{drama}', 'en', now())`]);
    await eventually('the movie inserted with psql searchable', async () => ((await searchTitle(handTitle)) === 1 ? true : undefined), 60_000);

    // A GraphQL error from the gateway carries no stack trace (Apollo adds one when NODE_ENV is unset).
    const failed = await fetch('http://127.0.0.1:4000/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ movie(movieId: 1) { nope } }' }),
    });
    expect(await failed.text()).not.toMatch(/stacktrace|\/work\/|node_modules/);

    pressCtrlC(demo);
    expect(await exited, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toContain('demo stopped');
    for (const port of [...DEMO_PORTS, ...DEMO_STACK_PORTS]) expect(await isPortFree(port), `port ${port} after Ctrl-C`).toBe(true);
    expect(stderr).toMatch(/stopped Apache Kafka|Apache Kafka .*stopped/);
    expect(stderr).toMatch(/stopped PostgreSQL|PostgreSQL .*stopped/);
  }, 480_000);
});
