import type { Message } from '../clients/kafkajs.ts';

/**
 * Messages sent as they come, one request in flight at a time: what is added while a request is in
 * flight goes into the next one (up to `maxPerSend`). A fetch that settles in many small chunks
 * thus starts producing at its first chunk and still makes few, full produce requests.
 */
export class CoalescingSender {
  private readonly queued: Message[] = [];
  private running: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly send: (messages: Message[]) => Promise<void>,
    private readonly maxPerSend: number,
  ) {}

  /** Queues messages; they go out with the next request. */
  add(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    this.queued.push(...messages);
    this.start();
  }

  /** Resolves when everything added so far is sent; rejects with the first send's error (nothing after it is sent). */
  async flushed(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure.error;
  }

  private start(): void {
    if (this.running || this.failure) return;
    this.running = (async () => {
      try {
        // The queue is checked and `running` cleared with no await in between, so nothing added is stranded.
        while (this.queued.length > 0) await this.send(this.queued.splice(0, this.maxPerSend));
      } catch (error) {
        this.failure = { error };
      } finally {
        this.running = null;
      }
    })();
  }
}
