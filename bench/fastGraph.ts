import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import type { GatewayFetcher } from '../src/pipeline/gatewayFetcher.ts';
import { startBenchServer, type BenchServer } from './childProcesses.ts';

export type FastGraph = BenchServer;

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
  return startBenchServer('./replayGateway.ts', [file, '0'], 'the replay gateway');
}
