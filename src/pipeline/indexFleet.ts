import { readFileSync } from 'node:fs';
import type { LoadedIndex } from '../index/loadIndex.ts';
import type { Logger } from '../logger.ts';
import { UserError } from '../errors.ts';
import { withHiddenValues } from '../hiddenValues.ts';
import type { Health } from './metricsServer.ts';
import type { PipelineMetrics } from './pipelineMetrics.ts';
import type { PipelineStage, RunningPipeline, SharedProcess } from './runPipeline.ts';

/** How often a running index's alias is checked for (an index deleted under the pipeline). */
export const ALIAS_CHECK_MS = 5_000;

/**
 * An index that did not load or start for a reason not its config's (a gateway or Kafka down when
 * the process started) is tried again by itself after this long, doubled each time up to
 * RETRY_MAX_MS: the cause usually goes away, and nobody should have to send a SIGHUP for it.
 */
export const RETRY_FIRST_MS = 5_000;
export const RETRY_MAX_MS = 60_000;

/** What a fleet needs from the rest of the pipeline; the CLI wires the real ones, a test may pass others. */
export interface FleetDependencies {
  /** Reads and validates one config against its graph (loadIndexForRun). */
  load(file: string): Promise<LoadedIndex>;
  /** Starts one index's pipeline on the process's clients. */
  start(loaded: LoadedIndex, shared: SharedProcess): Promise<RunningPipeline>;
  /** Whether the index's alias exists (false: its index was deleted under it). */
  aliasExists(loaded: LoadedIndex): Promise<boolean>;
}

interface Entry {
  file: string;
  /** The file's text the running config was read from (while it is not running: the last tried). */
  text: string | null;
  loaded?: LoadedIndex;
  pipeline?: RunningPipeline;
  /** Why it is not running (a config that did not validate at start, a start that failed, its alias gone). */
  failure?: string;
  /** Its alias was gone: started again once the alias is back. */
  aliasGone?: boolean;
  /** A changed config refused at the last SIGHUP: the old one runs on. */
  refusedChange?: string;
  /** Its failure was not its config's (a service down): it is tried again by itself. */
  retryable?: boolean;
  /** The next try of a retryable failure, and the wait before the one after it. */
  retry?: NodeJS.Timeout;
  retryDelayMs?: number;
}

/**
 * The indexes of one `run` process, each started, stopped and reloaded on its own: one index's
 * failure (a config that does not validate, a start that fails, its Elasticsearch index deleted)
 * stops that index alone, says so in the log and in /healthz, and leaves the others running.
 * Every change (start, SIGHUP reload, the alias check, a retry, stop) runs one at a time, in order.
 */
export class IndexFleet {
  private readonly entries = new Map<string, Entry>();
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** An alias check waits in the queue or runs. */
  private aliasCheckQueued = false;

  constructor(
    private readonly options: { stage: PipelineStage; shared: SharedProcess; say: (line: string) => void; logger: Logger; deps: FleetDependencies },
  ) {}

  /**
   * Starts every file's index; resolves with how many run. Once `interrupted` (Ctrl-C while they
   * start) the rest are not started: the index starting then finishes, and the caller stops them all.
   */
  async start(files: readonly string[], interrupted?: AbortSignal): Promise<number> {
    await this.serially(async () => {
      for (const file of files) {
        if (interrupted?.aborted) break;
        await this.startFile(this.entryOf(file));
      }
    });
    // Stopped while starting: stop() has cleared no timer yet, and none is wanted.
    if (this.stopped) return this.running.length;
    this.timer = setInterval(() => {
      // One check at a time: with Elasticsearch slower than the interval they would pile up in the
      // queue, and a SIGHUP or a stop would wait behind all of them.
      if (this.aliasCheckQueued) return;
      this.aliasCheckQueued = true;
      void this.serially(async () => {
        try {
          await this.checkAliases();
        } finally {
          this.aliasCheckQueued = false;
        }
      });
    }, ALIAS_CHECK_MS);
    this.timer.unref();
    return this.running.length;
  }

  /**
   * SIGHUP: the files as they are now. A changed config is validated before anything stops; one
   * that does not validate leaves the old one running and is reported. Added files start, removed
   * ones stop, indexes that failed are tried again (their cause may be fixed), unchanged ones run on.
   */
  reload(files: readonly string[]): Promise<void> {
    return this.serially(async () => {
      // Once stopping, the process is on its way out: a SIGHUP then must not start what stop() just stopped.
      if (this.stopped) return;
      const wanted = new Set(files);
      // Together: each drains on its own, and a Ctrl-C queued behind the reload waits for the longest only.
      const gone = [...this.entries.values()].filter((entry) => !wanted.has(entry.file));
      await Promise.all(
        gone.map(async (entry) => {
          clearTimeout(entry.retry);
          await this.stopEntry(entry, 'its config is gone from the command line');
          this.entries.delete(entry.file);
        }),
      );
      for (const file of files) {
        // A stop waits behind the reload: it should wait for the start in flight, not for every one.
        if (this.stopped) return;
        const entry = this.entryOf(file);
        if (!entry.pipeline) {
          await this.startFile(entry);
          continue;
        }
        const text = readText(file);
        if (text === entry.text) {
          // The file is the running config's again (a refused change put back): nothing is refused now.
          delete entry.refusedChange;
          continue;
        }
        await this.replace(entry, text);
      }
      this.options.say(`reloaded: ${this.running.length} of ${this.entries.size} index(es) running`);
    });
  }

  /** Stops every index (each drains and commits its batch in flight). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const entry of this.entries.values()) clearTimeout(entry.retry);
    await this.serially(async () => {
      await Promise.all([...this.entries.values()].map((entry) => this.stopEntry(entry, null)));
    });
  }

  /** Every running index's metrics (each labelled with its index). */
  registries(): PipelineMetrics['registry'][] {
    return this.running.map((entry) => (entry.pipeline as RunningPipeline).metrics.registry);
  }

  /**
   * The process's /healthz: 200 while at least one index runs, each index's own status beside it.
   * One failing index must not fail the process's probe: a restart would not fix it (a deleted
   * index, a bad config) and would stop the healthy ones with it. `/healthz/<index>` is per index.
   */
  health(): Health {
    const indexes = Object.fromEntries([...this.entries.values()].map((entry) => [nameOf(entry), describe(entry)]));
    const statuses = Object.values(indexes).map((one) => one.status);
    const all = statuses.length > 0 && statuses.every((status) => status === 'ok');
    const running = this.running.length > 0;
    return { ok: running, status: running ? 'degraded' : 'failed', detail: { ...(running && !all ? { status: 'degraded' } : {}), indexes } };
  }

  /** One index's health by its name (or its file's, when it never loaded); undefined when the process has none of that name. */
  indexHealth(name: string): Health | undefined {
    const entry = [...this.entries.values()].find((candidate) => nameOf(candidate) === name);
    if (!entry) return undefined;
    const { status, ...detail } = describe(entry);
    return { ok: status === 'ok', status, detail };
  }

  private get running(): Entry[] {
    return [...this.entries.values()].filter((entry) => entry.pipeline !== undefined);
  }

  private entryOf(file: string): Entry {
    let entry = this.entries.get(file);
    if (!entry) this.entries.set(file, (entry = { file, text: null }));
    return entry;
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch((error: unknown) => this.options.logger.error({ err: error }, 'managing the indexes failed'));
    return next;
  }

  /**
   * Loads and starts a file's index; a failure marks it failed, with why, and the others go on. One
   * that is not the config's (nor the user's to fix: not a UserError) is tried again later.
   */
  private async startFile(entry: Entry): Promise<void> {
    // Tried now (a SIGHUP): the try that was due is this one.
    clearTimeout(entry.retry);
    delete entry.retry;
    entry.text = readText(entry.file);
    let loaded: LoadedIndex | undefined;
    try {
      loaded = await this.options.deps.load(entry.file);
    } catch (error) {
      this.fail(entry, `its config does not load: ${message(error)}`, error);
    }
    if (loaded) await this.startLoaded(entry, loaded);
    if (!entry.pipeline && entry.retryable) this.retryLater(entry);
  }

  private retryLater(entry: Entry): void {
    if (this.stopped) return;
    const delayMs = entry.retryDelayMs ?? RETRY_FIRST_MS;
    entry.retryDelayMs = Math.min(delayMs * 2, RETRY_MAX_MS);
    entry.retry = setTimeout(() => {
      void this.serially(async () => {
        // Gone from the command line, started by a SIGHUP meanwhile, or the process stopping: nothing to try.
        if (this.stopped || this.entries.get(entry.file) !== entry || entry.pipeline) return;
        await this.startFile(entry);
      });
    }, delayMs);
    // The process ends when its indexes stop, not when a retry is due.
    entry.retry.unref();
    this.options.say(`${nameOf(entry)}: tried again in ${delayMs / 1000}s`);
  }

  private async startLoaded(entry: Entry, loaded: LoadedIndex): Promise<boolean> {
    const index = loaded.config.index;
    const other = [...this.entries.values()].find((candidate) => candidate !== entry && candidate.pipeline && candidate.loaded?.config.index === index);
    if (other) {
      this.fail(entry, `index ${index} is already run from ${other.file}`);
      return false;
    }
    entry.loaded = loaded;
    try {
      entry.pipeline = await this.options.deps.start(loaded, this.options.shared);
    } catch (error) {
      this.fail(entry, `its pipeline did not start: ${message(error)}`, error);
      return false;
    }
    delete entry.failure;
    delete entry.retryDelayMs;
    delete entry.aliasGone;
    delete entry.refusedChange;
    this.options.say(`${index}: pipeline (${this.options.stage}) running, from ${entry.file}`);
    return true;
  }

  /** A changed config: validated first; the old pipeline stops only for one that loads, and runs again if the new one does not start. */
  private async replace(entry: Entry, text: string | null): Promise<void> {
    const old = entry.loaded as LoadedIndex;
    let loaded: LoadedIndex;
    try {
      loaded = await this.options.deps.load(entry.file);
    } catch (error) {
      entry.refusedChange = `the changed config was not taken: ${message(error)}`;
      this.options.say(`${old.config.index}: ${entry.file} changed but does not load; the config it started with runs on. ${message(error)}`);
      this.options.logger.error({ file: entry.file }, entry.refusedChange);
      return;
    }
    await this.stopEntry(entry, null);
    if (await this.startLoaded(entry, loaded)) {
      // Only now: while the old config runs on, the changed file differs from it and is tried again at each SIGHUP.
      entry.text = text;
      this.options.say(`${loaded.config.index}: restarted with the changed ${entry.file}`);
      return;
    }
    const why = entry.failure;
    if (await this.startLoaded(entry, old)) {
      entry.refusedChange = `the changed config did not start (${why}); the config it started with runs on`;
      this.options.say(`${old.config.index}: ${entry.refusedChange}`);
    }
  }

  private async stopEntry(entry: Entry, why: string | null): Promise<void> {
    const pipeline = entry.pipeline;
    if (!pipeline) return;
    delete entry.pipeline;
    const index = entry.loaded?.config.index ?? entry.file;
    entry.failure ??= why === null ? 'stopping' : `stopped: ${why}`;
    try {
      await pipeline.stop();
    } catch (error) {
      this.options.logger.error({ index, err: error }, 'the pipeline did not stop cleanly; what it did not commit is read again at its next start');
    }
    if (why !== null) this.options.say(`${index}: stopped (${why})`);
  }

  /** An index whose alias is gone stops (its writes could land nowhere); it starts again once the alias is back. */
  private async checkAliases(): Promise<void> {
    if (this.stopped) return;
    for (const entry of this.entries.values()) {
      const loaded = entry.loaded;
      if (!loaded || (!entry.pipeline && !entry.aliasGone)) continue;
      let exists: boolean;
      try {
        exists = await this.options.deps.aliasExists(loaded);
      } catch (error) {
        // Elasticsearch not answering is every index's trouble, and the sinks wait it out.
        this.options.logger.warn({ index: loaded.config.index, err: error }, 'could not check the alias');
        continue;
      }
      if (!exists && entry.pipeline) {
        // Said first: /healthz names the cause while the pipeline drains.
        entry.aliasGone = true;
        this.fail(
          entry,
          `its alias ${loaded.names.alias} is gone (its Elasticsearch index deleted?): stopped; it starts again when the alias is back ` +
            `(\`fedsearch provision ${loaded.config.sourceFile}\`, then \`fedsearch backfill ${loaded.config.sourceFile}\`)`,
        );
        await this.stopEntry(entry, null);
      } else if (exists && !entry.pipeline && entry.aliasGone) {
        this.options.say(`${loaded.config.index}: its alias ${loaded.names.alias} is back; starting it again`);
        await this.startLoaded(entry, loaded);
      }
    }
  }

  /** `cause`: the error, when there is one; one that is not a UserError (a service down) is worth trying again. */
  private fail(entry: Entry, reason: string, cause?: unknown): void {
    entry.failure = reason;
    entry.retryable = cause !== undefined && !(cause instanceof UserError);
    const name = nameOf(entry);
    this.options.say(`${name}: ${reason}; the other indexes go on`);
    this.options.logger.error({ file: entry.file, failedIndex: name }, reason);
  }
}

function nameOf(entry: Entry): string {
  return entry.loaded?.config.index ?? entry.file;
}

function describe(entry: Entry): { status: string } & Record<string, unknown> {
  const extra = { file: entry.file, ...(entry.refusedChange ? { refusedChange: entry.refusedChange } : {}) };
  if (!entry.pipeline) return { status: 'failed', reason: entry.failure ?? 'not started', ...extra };
  const health = entry.pipeline.health();
  return { status: health.ok ? 'ok' : (health.status ?? 'unhealthy'), ...health.detail, ...extra };
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** An error's message, without any `${VAR}` value or credential it may quote. */
function message(error: unknown): string {
  return withHiddenValues(error instanceof Error ? error.message : String(error));
}
