import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalService } from './localService.ts';

export const ELASTICSEARCH_VERSION = '9.5.3';

const DEFAULT_ELASTICSEARCH_PORT = 9200;

export function elasticsearchPort(): number {
  return Number(process.env.FEDSEARCH_ES_PORT ?? DEFAULT_ELASTICSEARCH_PORT);
}

export function elasticsearchUrl(): string {
  return `http://127.0.0.1:${elasticsearchPort()}`;
}

/**
 * Real Elasticsearch: the server jar from Maven Central run by our launcher (stack/es-node),
 * which starts an org.elasticsearch.node.Node with classpath plugins — netty4 for HTTP, and our
 * own stand-ins for the distribution modules Maven Central lacks (analysis filters, `GET /`).
 * Security off, loopback only, single-node discovery.
 */
export function elasticsearchService(): LocalService {
  const port = elasticsearchPort();
  const transportPort = port + 100;
  return {
    name: 'elasticsearch',
    stateName: port === DEFAULT_ELASTICSEARCH_PORT ? 'elasticsearch' : `elasticsearch-${port}`,
    title: `Elasticsearch ${ELASTICSEARCH_VERSION}`,
    endpoint: `http://127.0.0.1:${port}`,
    ports: [port, transportPort],
    minJava: 21,
    mavenProjectDir: fileURLToPath(new URL('./es-node/', import.meta.url)),
    mainClass: 'fedsearch.stack.EsNode',
    jvmArgs: () => [
      '-Xms1g',
      '-Xmx1g',
      '-XX:+UseG1GC',
      '-XX:-OmitStackTraceInFastThrow',
      '--enable-native-access=ALL-UNNAMED',
      '--add-modules=jdk.incubator.vector',
      '-Dfile.encoding=UTF-8',
      '-Djava.locale.providers=CLDR',
      // Our launcher closes the node on SIGTERM itself; log4j's own hook would drop those lines.
      '-Dlog4j.shutdownHookEnabled=false',
      '-Dlog4j2.disable.jmx=true',
      '-Dlog4j2.formatMsgNoLookups=true',
      '-Dio.netty.noUnsafe=true',
      '-Dio.netty.noKeySetOptimization=true',
      '-Dio.netty.recycler.maxCapacityPerThread=0',
    ],
    args: (paths) => [
      '--home',
      join(paths.dataDir),
      '--http-port',
      String(port),
      '--transport-port',
      String(transportPort),
      '--cluster-name',
      'fedsearch-local',
      '--node-name',
      'fedsearch-local-1',
      ...elasticsearchSettingsArgs(),
    ],
    prepare: async () => {},
    isReady: () => elasticsearchAnswers(port),
    startTimeoutMs: 120_000,
  };
}

/**
 * Node settings from FEDSEARCH_ES_SETTINGS (`key=value`, several separated by spaces or commas),
 * e.g. `thread_pool.refresh.max=2`: for measuring how a node setting changes a bench, never needed
 * to run fedsearch. Elasticsearch refuses an unknown setting at start, naming it.
 */
export function elasticsearchSettingsArgs(value = process.env.FEDSEARCH_ES_SETTINGS ?? ''): string[] {
  return value
    .split(/[\s,]+/)
    .filter((pair) => pair !== '')
    .flatMap((pair) => {
      if (!/^[^=]+=./.test(pair)) throw new Error(`FEDSEARCH_ES_SETTINGS: "${pair}" is not key=value`);
      return ['-E', pair];
    });
}

/** Ready means the cluster health API answers with at least yellow. */
async function elasticsearchAnswers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/_cluster/health?wait_for_status=yellow&timeout=1s`, {
      signal: AbortSignal.timeout(3_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}
