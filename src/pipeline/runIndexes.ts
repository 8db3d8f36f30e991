import { Registry } from 'prom-client';
import { configFilesOf } from '../config/configFiles.ts';
import { UserError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { IndexFleet } from './indexFleet.ts';
import { loadIndexForRun } from './loadIndexForRun.ts';
import { mergedRegistries } from './mergedMetrics.ts';
import { metricsPort, startMetricsServer } from './metricsServer.ts';
import { collectProcessMetrics } from './pipelineMetrics.ts';
import { DEFAULT_PIPELINE_METRICS_PORT, runPipeline, type PipelineStage } from './runPipeline.ts';
import { SharedClients } from './sharedClients.ts';

export interface RunningIndexes {
  metricsUrl: string;
  /** Re-reads the paths (SIGHUP). */
  reload(): Promise<void>;
  /** Stops every index, then the shared server and clients. */
  stop(): Promise<void>;
}

/**
 * `run` of many configs (files, or directories of them) in one process: one Kafka client per
 * broker list, one Elasticsearch client per cluster, one keep-alive agent per gateway origin, and
 * one /metrics and /healthz for all, each index's series labelled with it. An index that cannot
 * start is reported and the others run; none at all is an error.
 */
export async function runIndexes(
  paths: readonly string[],
  options: { stage: PipelineStage; metricsPort?: number; interrupted?: AbortSignal },
  say: (line: string) => void,
): Promise<RunningIndexes> {
  const files = configFilesOf(paths);
  const logger = createLogger('*', 'run');
  const clients = new SharedClients();
  const processRegistry = new Registry();
  collectProcessMetrics(processRegistry);
  let fleet: IndexFleet | undefined;
  const server = await startMetricsServer(
    { registry: mergedRegistries(() => [processRegistry, ...(fleet?.registries() ?? [])], processRegistry.contentType) },
    metricsPort(options.metricsPort, DEFAULT_PIPELINE_METRICS_PORT),
    () => fleet?.health() ?? { ok: false, status: 'starting', detail: {} },
    (index) => fleet?.indexHealth(index),
  );
  const stopShared = async (): Promise<void> => {
    await server.close();
    await clients.close();
  };
  fleet = new IndexFleet({
    stage: options.stage,
    shared: { clients, metricsUrl: server.url },
    say,
    logger,
    deps: {
      load: (file) => loadIndexForRun(file, say),
      start: (loaded, shared) => runPipeline(loaded, { stage: options.stage, shared }),
      aliasExists: (loaded) => clients.elasticsearch(loaded.config.elasticsearch).indices.existsAlias({ name: loaded.names.alias }),
    },
  });
  const running = await fleet.start(files, options.interrupted);
  // Interrupted while starting: the caller stops what did start, and says nothing failed.
  if (running === 0 && !options.interrupted?.aborted) {
    await fleet.stop();
    await stopShared();
    throw new UserError(`none of the ${files.length} index(es) started (each says why above)`);
  }
  if (options.interrupted?.aborted) say(`interrupted while starting: ${running} of ${files.length} index(es) started, the others not tried`);
  else say(`${running} of ${files.length} index(es) running; metrics ${server.url}/metrics, health ${server.url}/healthz (per index: ${server.url}/healthz/<index>); SIGHUP re-reads the configs`);
  const started = fleet;
  return {
    metricsUrl: server.url,
    async reload() {
      let now: string[];
      try {
        now = configFilesOf(paths);
      } catch (error) {
        say(`SIGHUP: ${(error as Error).message}; every index runs on as it was`);
        return;
      }
      await started.reload(now);
    },
    async stop() {
      await started.stop();
      await stopShared();
    },
  };
}
