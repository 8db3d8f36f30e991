import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, type Transferable } from 'node:worker_threads';

/**
 * A small pool of worker threads that each run one module's task handler (`serveTasks`), so CPU
 * work of a stage (decoding Avro, building JSON) runs beside the event loop instead of on it.
 * Tasks start in the order given, each on the first idle worker; every `run` settles with its own
 * task's answer, so a caller that awaits its tasks in order keeps its order (the sink awaits one
 * batch's decoding before it writes that batch, and kafkajs gives it a partition's batches one at
 * a time). A worker that dies fails the tasks it held, with the pool's name and the task's
 * context, and is replaced.
 */
export class WorkerPool<Task, Answer> {
  private readonly idle: PoolWorker[] = [];
  private readonly all = new Set<PoolWorker>();
  private readonly queue: Array<Queued<Task, Answer>> = [];
  private closing = false;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!(Number.isInteger(options.size) && options.size >= 1)) throw new Error(`${options.name}: a worker pool needs at least one worker, not ${options.size}`);
    for (let n = 0; n < options.size; n++) this.spawn();
  }

  get size(): number {
    return this.options.size;
  }

  /**
   * Runs `task` on a worker. `transfer` moves buffers instead of copying them (the caller must not
   * touch them after). `context` names what the task is about (an index, a topic partition and
   * its offsets) in any error that comes back.
   */
  run(task: Task, options: { transfer?: readonly Transferable[]; context?: string } = {}): Promise<Answer> {
    if (this.closing) return Promise.reject(new Error(`${this.describe(options.context)}: the worker pool is closed`));
    return new Promise<Answer>((resolve, reject) => {
      this.queue.push({ task, transfer: options.transfer ?? [], context: options.context, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * No new tasks; the queued ones fail, the ones under way finish (or fail if their worker dies),
   * then every worker stops.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const queued of this.queue.splice(0)) queued.reject(new Error(`${this.describe(queued.context)}: the worker pool closed before the task started`));
    await Promise.all([...this.all].map(async (worker) => {
      await worker.current?.settled;
      await worker.thread.terminate();
    }));
  }

  private spawn(): void {
    const thread = startWorker(this.options.moduleUrl, this.options.workerData);
    // An idle pool keeps no process alive; a task under way does (ref'd while it runs).
    thread.unref();
    const worker: PoolWorker = { thread, current: null };
    this.all.add(worker);
    thread.on('message', (reply: Reply<Answer>) => {
      const current = worker.current;
      if (!current) return;
      worker.current = null;
      thread.unref();
      if (reply.ok) current.resolve(reply.answer);
      else current.reject(new Error(`${this.describe(current.context)}: ${reply.error}`));
      this.idle.push(worker);
      this.dispatch();
    });
    const died = (why: string): void => {
      if (!this.all.delete(worker)) return;
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
      worker.current?.reject(new Error(`${this.describe(worker.current.context)}: the worker thread ${why}`));
      worker.current = null;
      if (!this.closing) {
        this.spawn();
        this.dispatch();
      }
    };
    thread.on('error', (error) => died(`failed: ${error.message}`));
    thread.on('exit', (code) => died(`exited with code ${code}`));
    this.idle.push(worker);
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.idle.length > 0) {
      const worker = this.idle.shift() as PoolWorker;
      const queued = this.queue.shift() as Queued<Task, Answer>;
      let settle = (): void => {};
      const settled = new Promise<void>((resolve) => (settle = resolve));
      worker.current = {
        context: queued.context,
        settled,
        resolve: (answer) => {
          settle();
          queued.resolve(answer as Answer);
        },
        reject: (error) => {
          settle();
          queued.reject(error);
        },
      };
      worker.thread.ref();
      try {
        worker.thread.postMessage(queued.task, queued.transfer);
      } catch (error) {
        // A task that cannot be cloned (a function in it, say) fails alone; the worker stays idle.
        worker.current = null;
        worker.thread.unref();
        this.idle.push(worker);
        settle();
        queued.reject(new Error(`${this.describe(queued.context)}: the task could not be sent to a worker: ${(error as Error).message}`));
      }
    }
  }

  private describe(context: string | undefined): string {
    return context === undefined ? this.options.name : `${this.options.name} (${context})`;
  }
}

export interface WorkerPoolOptions {
  /** Names the pool in errors ("sink decode workers of movies"). */
  name: string;
  size: number;
  /** The worker's module: one that calls serveTasks (a `.ts` module runs through tsx, as the sources do). */
  moduleUrl: URL;
  /** Given to each worker at start (structured-cloned once per worker). */
  workerData?: unknown;
}

/** What a worker answers to one task. */
type Reply<Answer> = { ok: true; answer: Answer } | { ok: false; error: string };

interface Queued<Task, Answer> {
  task: Task;
  transfer: readonly Transferable[];
  context: string | undefined;
  resolve(answer: Answer): void;
  reject(error: Error): void;
}

interface PoolWorker {
  thread: Worker;
  current: { context: string | undefined; settled: Promise<void>; resolve(answer: unknown): void; reject(error: Error): void } | null;
}

/**
 * In a worker: answers each task with `handle`'s result, moving the buffers it names. A task
 * that throws answers with the error's message (the pool adds its context); the worker lives on.
 */
export function serveTasks<Task, Answer>(handle: (task: Task) => { answer: Answer; transfer?: Transferable[] }): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs in a worker thread');
  port.on('message', (task: Task) => {
    let reply: Reply<Answer>;
    let transfer: Transferable[] = [];
    try {
      const done = handle(task);
      reply = { ok: true, answer: done.answer };
      transfer = done.transfer ?? [];
    } catch (error) {
      reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply, transfer);
  });
}

/**
 * The number of workers `pipeline.workers: auto` means: one core is the event loop's, the others
 * may take stage work, at most 4 (a stage's batches give few tasks at once). 0 on one core.
 */
export function autoWorkers(cores = availableParallelism()): number {
  return Math.max(0, Math.min(4, cores - 1));
}

/**
 * A worker thread on `moduleUrl`. The compiled build runs `.js` modules as they are; the sources
 * (`.ts`, run through tsx in-process) need tsx registered in the worker too, which a worker does
 * not inherit from a `register()` call.
 */
function startWorker(moduleUrl: URL, workerData: unknown): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, { workerData });
  // tsx's ESM build of its API (resolving through require finds the CommonJS one, beside it).
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** A sibling module of `from`, with the extension `from` has (`.ts` in the sources, `.js` in dist/). */
export function siblingModule(from: string, name: string): URL {
  return new URL(`./${name}${from.endsWith('.ts') ? '.ts' : '.js'}`, from);
}
