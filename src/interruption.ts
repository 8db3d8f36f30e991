/**
 * Ctrl-C and SIGTERM for the long-running commands, handled once for the whole process: the first
 * signal asks every part of the command to finish cleanly (an AbortSignal they check: a backfill
 * saves its checkpoint, a pipeline drains its batch, the demo stops what it started) and the
 * command exits 0; a second signal exits at once (130), for when clean-up itself hangs.
 *
 * Only commands that run long install it: a short command keeps Node's default, where one Ctrl-C
 * ends it.
 */

/** A command cut short by Ctrl-C or SIGTERM after cleaning up; the CLI exits 0 with its message. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  readonly exitCode = 0;
}

const controller = new AbortController();
let installed = false;

/** Aborted on the first SIGINT or SIGTERM once handleInterrupts() has been called. */
export const interruption: AbortSignal = controller.signal;

export function handleInterrupts(say: (message: string) => void = (message) => void process.stderr.write(`${message}\n`)): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      say(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping cleanly… (press Ctrl-C again to stop at once)`);
      controller.abort(signal);
      return;
    }
    say('stopping at once, without clean-up');
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Resolves on the first SIGINT or SIGTERM (installing the handlers if need be). */
export function untilInterrupted(): Promise<void> {
  handleInterrupts();
  if (interruption.aborted) return Promise.resolve();
  return new Promise((resolve) => interruption.addEventListener('abort', () => resolve(), { once: true }));
}

/** Throws an InterruptedError saying `what` stopped, once a signal has come. */
export function throwIfInterrupted(what: string, signal: AbortSignal = interruption): void {
  if (signal.aborted) throw new InterruptedError(what);
}
