import { Command, InvalidArgumentError, Option } from 'commander';
import { count } from './countArgument.ts';
import { durationArgument } from './durationArgument.ts';
import { GATEWAY_SECRET_HEADER, readSecretFile, secretFromEnvironment } from '../src/search/accessToken.ts';
import { handleInterrupts, untilInterrupted } from '../src/interruption.ts';
import { loadIndex } from './loadIndexLazily.ts';
import { runAction } from './runAction.ts';
import { asInfrastructureError, InfrastructureError, UserError } from '../src/errors.ts';
import { SEARCH_ADMISSION } from '../src/search/searchAdmission.ts';
import { withHiddenValues } from '../src/hiddenValues.ts';
import { secondClaims } from '../src/config/indexClaims.ts';

const say = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * Each file loaded on its own: one that fails — its config, or a service it needs (its
 * Elasticsearch down while the gateway is) — is set aside with its reason, never stopping the rest.
 */
async function loadEach<T>(files: readonly string[], load: (file: string) => Promise<T>): Promise<{ indexes: T[]; failures: Array<{ file: string; reason: string; error: UserError | InfrastructureError }> }> {
  const indexes: T[] = [];
  const failures: Array<{ file: string; reason: string; error: UserError | InfrastructureError }> = [];
  for (const file of files) {
    try {
      indexes.push(await load(file));
    } catch (thrown) {
      const error = asInfrastructureError(thrown, 'a service did not answer');
      if (!(error instanceof UserError) && !(error instanceof InfrastructureError)) throw error;
      failures.push({ file, reason: withHiddenValues(error.message), error });
    }
  }
  return { indexes, failures };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface FacetChoice {
  path: string;
  value: string;
}

/** `--select genres=comedy`: the facet's path and the value chosen (which may itself hold '='). */
function facetChoice(text: string): FacetChoice {
  const at = text.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected path=value, e.g. genres=comedy');
  return { path: text.slice(0, at), value: text.slice(at + 1) };
}

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new InvalidArgumentError('expected a port number');
  return value;
}

function searchesAtOnce(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 1024) throw new InvalidArgumentError('expected a whole number from 1 to 1024');
  return value;
}

export function addSearchCommands(program: Command): void {
  program
    .command('search')
    .argument('<config>', 'index configuration file (YAML)')
    .argument('[text...]', 'free text, across the text fields (the same as --query)')
    .description('search an index from the command line: text, filter DSL, facets; a table or --json')
    .option('-q, --query <text>', 'free text, across the text fields')
    .option('-f, --filter <dsl>', 'filter on the index\'s fields, e.g. \'status == "active" AND year >= 2020 AND tags IN ["a", "b"]\'')
    .option('--facet <path>', 'facet to count (repeatable; default: every facet field)', collect)
    .option('--select <path=value>', 'choose a facet value (repeatable)', (text: string, previous: FacetChoice[] = []) => [...previous, facetChoice(text)])
    .option('-n, --size <n>', 'hits to show', count, 10)
    .option('--json', 'print the response as JSON')
    .action(runAction(async (configFile: string, words: string[], options: { query?: string; filter?: string; facet?: string[]; select?: FacetChoice[]; size: number; json?: boolean }) => {
      if (words.length > 0 && options.query !== undefined) {
        throw new UserError(`give the text once: "${words.join(' ')}" after the config, or --query "${options.query}"`);
      }
      const query = words.length > 0 ? words.join(' ') : options.query;
      const loaded = await loadIndex(configFile);
      const [{ elasticsearchClient }, { formatSearchTable }, { parseSearchRequest }, { SearchService }] = await Promise.all([
        import('../src/clients/elasticsearchClient.ts'),
        import('../src/search/formatSearchTable.ts'),
        import('../src/search/searchRequest.ts'),
        import('../src/search/searchService.ts'),
      ]);
      const client = elasticsearchClient(loaded.config.elasticsearch);
      try {
        const selected: Record<string, string[]> = {};
        for (const { path, value } of options.select ?? []) selected[path] = [...(selected[path] ?? []), value];
        const request = parseSearchRequest({
          ...(query ? { query } : {}),
          ...(options.filter ? { filter: options.filter } : {}),
          ...(options.facet ? { facets: options.facet } : {}),
          ...(Object.keys(selected).length ? { selected } : {}),
          size: options.size,
        });
        const response = await new SearchService(loaded, client).search(request);
        process.stdout.write(options.json ? `${JSON.stringify(response, null, 2)}\n` : formatSearchTable(response, loaded));
      } finally {
        await client.close();
      }
    }));

  program
    .command('serve')
    .argument('<configs...>', 'index configuration files (YAML), one per index served, or directories of them')
    .description('serve the HTTP search API (POST /v1/indexes/:index/search, GET …/suggest?q=) and the search subgraph')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP API', port, 8080)
    .option('--subgraph-port <port>', 'port of the federated search subgraph (a search field per index)', port, 4004)
    .option('--auth-token-file <path>', 'require Authorization: Bearer <token> on both listeners, the token read from this file (or set FEDSEARCH_AUTH_TOKEN)')
    .option('--gateway-secret-file <path>', `let the gateway query the subgraph with this secret in the ${GATEWAY_SECRET_HEADER} header instead of the token (or set FEDSEARCH_GATEWAY_SECRET)`)
    .addOption(
      new Option('--auth-token <token>').hideHelp().argParser(() => {
        throw new InvalidArgumentError('a token on the command line is visible to every user of the machine (ps); use FEDSEARCH_AUTH_TOKEN or --auth-token-file');
      }),
    )
    .option('--cors-origin <origin>', 'allow this browser origin to call both listeners (CORS is off by default)')
    .addOption(
      new Option('--idle-timeout <duration>', 'close a connection without a request under way after this (above a load balancer\'s own idle timeout when behind one)')
        .argParser((text) => {
          // 0 would mean no timeout at all to Node, the very thing this bounds.
          if (durationArgument(text) === 0) throw new InvalidArgumentError('expected a duration above 0s');
          return durationArgument(text);
        })
        .default(5, '5s'),
    )
    .option(
      '--searches-at-once <n>',
      'searches of one index sent to Elasticsearch at once; more wait here in order, up to 64, and the next is told 429. ' +
        'At least your busiest number of concurrent clients gives the lowest median; fewer spare a small cluster',
      searchesAtOnce,
      SEARCH_ADMISSION.running,
    )
    .addHelpText(
      'after',
      `\nCursors are signed with a key of this process; replicas behind one load balancer share FEDSEARCH_CURSOR_KEY.` +
        `\nWith the gateway down, an index starts from the graph's schema its last provision recorded.` +
        `\nAn index that cannot be served, or whose search field would not compose with the graph, is left out with the reason; the others are served.`,
    )
    .action(runAction(async (configFiles: string[], options: { host: string; port: number; subgraphPort: number; authTokenFile?: string; gatewaySecretFile?: string; corsOrigin?: string; idleTimeout: number; searchesAtOnce: number }) => {
      handleInterrupts();
      const authToken = options.authTokenFile ? readSecretFile(options.authTokenFile, 'auth token') : secretFromEnvironment(process.env.FEDSEARCH_AUTH_TOKEN);
      const gatewaySecret = options.gatewaySecretFile ? readSecretFile(options.gatewaySecretFile, 'gateway secret') : secretFromEnvironment(process.env.FEDSEARCH_GATEWAY_SECRET);
      const [{ composableIndexes }, { configFilesOf }, { loadServedIndex }, { serveSearch, ServePortTakenError }, { cursorKey }, { DEFAULT_REQUEST_TIMEOUT_MS }] = await Promise.all([
        import('../src/search/searchSubgraphComposition.ts'),
        import('../src/config/configFiles.ts'),
        import('../src/search/servedIndexes.ts'),
        import('../src/search/serveSearch.ts'),
        import('../src/search/searchCursor.ts'),
        import('../src/search/requestDeadline.ts'),
      ]);
      const files = configFilesOf(configFiles);
      const { indexes, failures } = await loadEach(files, (file) => loadServedIndex(file, say));
      // Two configs for one index: the API would serve one and the subgraph the other.
      const [claim] = secondClaims(indexes.map(({ config }) => config));
      if (claim) throw new UserError(`two configs claim ${claim.index}: ${claim.first} and ${claim.file}; remove one of them`);
      for (const failure of failures) say(`not serving ${failure.file}: ${failure.reason}`);
      if (indexes.length === 0) {
        // None served: a service down is exit 2, as it was before each index was loaded on its own.
        const down = failures.find((failure) => failure.error instanceof InfrastructureError);
        if (down) throw down.error;
        throw new UserError('no index to serve');
      }
      // A search subgraph the graph cannot compose is left out here, with the reason, not found by a gateway later.
      const { composed, leftOut } = composableIndexes(indexes);
      for (const { index, reason } of leftOut) say(`${index}: served by the HTTP API only, left out of the search subgraph: ${withHiddenValues(reason)}`);
      let running: Awaited<ReturnType<typeof serveSearch>>;
      try {
        running = await serveSearch(indexes, {
          host: options.host,
          port: options.port,
          subgraphPort: options.subgraphPort,
          subgraphIndexes: composed,
          requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
          idleTimeoutMs: options.idleTimeout * 1_000,
          maxBodyBytes: 64 * 1024,
          maxRunningSearches: options.searchesAtOnce,
          cursorKey: cursorKey(process.env.FEDSEARCH_CURSOR_KEY),
          ...(authToken ? { authToken } : {}),
          ...(gatewaySecret ? { gatewaySecret } : {}),
          ...(options.corsOrigin ? { corsOrigin: options.corsOrigin } : {}),
        });
      } catch (error) {
        if (!(error instanceof ServePortTakenError)) throw error;
        throw new UserError(`${error.message}; choose another with ${error.listener === 'api' ? '--port' : '--subgraph-port'}`);
      }
      if (!authToken && !['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
        process.stderr.write(`no auth token: anyone who can reach ${options.host} can search (set FEDSEARCH_AUTH_TOKEN or --auth-token-file)\n`);
      }
      say(`search API ${indexes.map((l) => `${running.apiUrl}/v1/indexes/${l.config.index}/search`).join(', ')}`);
      say(running.subgraphUrl ? `search subgraph ${running.subgraphUrl} (${composed.length} of ${indexes.length} indexes)` : 'no search subgraph');
      await untilInterrupted();
      await running.close();
    }));
}
