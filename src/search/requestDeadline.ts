/** How long a search request may take, from its first byte to its answer (`fedsearch serve`'s listeners). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export class DeadlineError extends Error {}

/**
 * One request's deadline, shared by all the work it starts (the searches of every search field of
 * a GraphQL operation): work still running when it passes is abandoned with a DeadlineError, and
 * its signal aborts what that work started (the Elasticsearch request), so a search nobody waits
 * for does not keep the cluster busy.
 */
export interface Deadline {
  run<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Stops the timer once the request is answered. */
  dispose(): void;
}

export function startDeadline(ms: number): Deadline {
  const controller = new AbortController();
  let fail: (error: DeadlineError) => void = () => {};
  const passed = new Promise<never>((_, reject) => (fail = reject));
  // Nobody may be waiting when it passes (the work finished first): that is not a failure.
  passed.catch(() => {});
  const timer = setTimeout(() => {
    fail(new DeadlineError(`no answer within ${ms} ms`));
    controller.abort();
  }, ms);
  return {
    run: (work) => Promise.race([work(controller.signal), passed]),
    dispose: () => clearTimeout(timer),
  };
}

/** The work, or a DeadlineError after `ms`. */
export async function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const deadline = startDeadline(ms);
  try {
    return await deadline.run(work);
  } finally {
    deadline.dispose();
  }
}
