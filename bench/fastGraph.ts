import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { getIntrospectionQuery } from 'graphql';
import type { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';

export interface FastGraph {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Records what the demo graph answers for each of `ids` (through fedsearch's own fetcher) and
 * the gateway's introspection, and starts the replay gateway (bench/replayGateway.ts) over those answers in a process of its own.
 */
export async function startFastGraph(fetcher: GatewayFetcher, rootKey: string, ids: readonly string[], gatewayUrl: string): Promise<FastGraph> {
  const documents: Record<string, unknown> = {};
  for (let start = 0; start < ids.length; start += 500) {
    for (const [id, result] of await fetcher.fetch(ids.slice(start, start + 500))) {
      if (result.kind === 'found') documents[id] = result.document;
    }
  }
  // fedsearch reads the graph's schema by introspection (the config names a gateway URL): replayed too.
  const introspection = await (await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: getIntrospectionQuery() }) })).text();
  const file = join(mkdtempSync(join(tmpdir(), 'fedsearch-replay-')), 'answers.json');
  writeFileSync(file, JSON.stringify({ rootKey, documents, introspection }));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', new URL('./replayGateway.ts', import.meta.url).pathname, file, '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the replay gateway exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
  });
  return {
    url,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
