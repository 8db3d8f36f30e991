interface Queued<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Work done one call at a time, in the order it was added; what is added while a call is under
 * way goes into the next call, all together. Each `add` resolves once the call that carried its
 * item is done, or rejects with that call's error; a failed call does not stop the next one (the
 * caller decides what a failure means for what came after it).
 *
 * The sink writes each partition's batches through one: a bulk request at a time per partition,
 * in offset order, and the batches read while one is in flight go out in one bulk request, not
 * one each — as large as they were when the sink read nothing while it wrote.
 */
export class CoalescingQueue<T> {
  private readonly queued: Array<Queued<T>> = [];
  private running = false;

  constructor(private readonly run: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      this.start();
    });
  }

  /** Whether a call is under way or waiting. */
  get idle(): boolean {
    return !this.running && this.queued.length === 0;
  }

  private start(): void {
    if (this.running) return;
    this.running = true;
    void (async () => {
      // The queue is checked and `running` cleared with no await in between, so nothing added is stranded.
      while (this.queued.length > 0) {
        const taken = this.queued.splice(0);
        try {
          await this.run(taken.map((queued) => queued.item));
          for (const queued of taken) queued.resolve();
        } catch (error) {
          for (const queued of taken) queued.reject(error);
        }
      }
      this.running = false;
    })();
  }
}
