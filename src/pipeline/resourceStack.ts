/**
 * What a long-running command has started, closed in reverse order of starting. One list serves
 * both ways a run ends — a start-up that fails halfway and a normal stop — so neither can forget
 * a connection that would keep the process alive.
 */
export class ResourceStack {
  private readonly closers: Array<{ name: string; close: () => Promise<unknown> | void }> = [];

  /** Registers how to close something just started; returns it, so a start reads as one line. */
  add<T>(name: string, resource: T, close: (resource: T) => Promise<unknown> | void): T {
    this.closers.push({ name, close: () => close(resource) });
    return resource;
  }

  /**
   * Closes everything, newest first. Every closer runs even when one fails; the first failure is
   * thrown at the end unless `quietly` (after a failed start, where the start's error is the news).
   */
  async closeAll(options: { quietly?: boolean } = {}): Promise<void> {
    let failure: unknown;
    for (const { name, close } of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failure ??= new Error(`closing ${name}: ${(error as Error).message}`, { cause: error });
      }
    }
    if (failure !== undefined && options.quietly !== true) throw failure;
  }
}
