// `fedsearch demo graph fault` against a running `fedsearch demo graph up`, both spawned as a
// person runs them: the subgraph's entities answer errors through the gateway, then not.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/indexHarness.ts';
import { exitOf, pressCtrlC, runCliAsUser, spawnCliAsUser } from '../support/userCli.ts';

const GATEWAY = 'http://127.0.0.1:4000/graphql';

const cli = (args: string[]): ReturnType<typeof runCliAsUser> => runCliAsUser(args);

/** The errors the gateway answers for the first movies' cast. */
async function castErrors(): Promise<Array<{ message: string; extensions?: { code?: string; serviceName?: string } }>> {
  const query = `{ ${[1, 2, 3, 4].map((n) => `m${n}: movie(movieId: "mov-000000${n}") { title cast { talent { name } } }`).join(' ')} }`;
  const response = await fetch(GATEWAY, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return ((await response.json()) as { errors?: [] }).errors ?? [];
}

describe('fedsearch demo graph fault', () => {
  let graph: ChildProcess | undefined;
  let stderr = '';

  beforeAll(async () => {
    graph = spawnCliAsUser(['demo', 'graph', 'up', '--movies', '20', '--no-events']);
    let stdout = '';
    graph.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
    graph.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    await eventually('the demo graph’s fault switch', async () => {
      if (graph?.exitCode !== null) throw new Error(`the demo graph exited early:\n${stderr}`);
      return /^fault switch +http:\/\/127\.0\.0\.1:4005\/faults/m.test(stdout) ? true : undefined;
    }, 60_000);
  }, 90_000);

  afterAll(async () => {
    if (graph && graph.exitCode === null) {
      const exited = exitOf(graph);
      pressCtrlC(graph);
      await exited;
    }
  });

  it('fails every entity of the subgraph named, through the gateway, until told 0 %', async () => {
    expect(await castErrors()).toEqual([]);
    const set = await cli(['demo', 'graph', 'fault', 'talent', '--errors', '100', '--for', '5m']);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^talent: 100 % of its entity resolutions answer with a GraphQL error \(FAULT_INJECTED\) until \d{4}-\d\d-\d\dT/);
    const errors = await castErrors();
    expect(errors).toHaveLength(4);
    for (const error of errors) expect(error.extensions).toMatchObject({ code: 'FAULT_INJECTED', serviceName: 'talent' });

    const cleared = await cli(['demo', 'graph', 'fault', 'talent', '--errors', '0']);
    expect(cleared.stdout).toBe('talent: no fault; its entities resolve as usual\n');
    expect(await castErrors()).toEqual([]);
  });

  it('answers null for the movies named with --answer null, as a lagging replica would, until told 0 %', async () => {
    const titles = async (): Promise<unknown> => {
      const query = `{ ${[1, 2, 3].map((n) => `m${n}: movie(movieId: "mov-000000${n}") { title }`).join(' ')} }`;
      const response = await fetch(GATEWAY, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      return (await response.json()) as unknown;
    };
    const set = await cli(['demo', 'graph', 'fault', 'movies', '--errors', '100', '--answer', 'null', '--for', '5m']);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^movies: 100 % of its entity resolutions answer null, as if they did not exist, until \d{4}-/);
    expect(await titles()).toEqual({ data: { m1: null, m2: null, m3: null } });
    await cli(['demo', 'graph', 'fault', 'movies', '--errors', '0']);
    expect(await titles()).toMatchObject({ data: { m1: { title: expect.any(String) } } });
  });

  it('refuses a subgraph the demo graph does not have, naming those it has', async () => {
    const refused = await cli(['demo', 'graph', 'fault', 'billing', '--errors', '10']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('no subgraph "billing" in the demo graph; it has movies, productions, talent');
  });
});
