/**
 * Ctrl-C and SIGTERM for the long-running commands, handled once for the whole process: the first
 * signal asks every part of the command to finish cleanly (an AbortSignal they check: a backfill
 * saves its checkpoint, a pipeline drains its batch, the demo stops what it started); a command
 * whose end that is (`run`, `serve`, `demo`) exits 0, one whose work it cut short (`backfill`,
 * `apply`) exits as a shell reports the signal (130, 143) after saying how to resume, so a script's
 * `fedsearch apply dir && deploy` does not go on. A second signal exits at once (130), for when
 * clean-up itself hangs.
 *
 * Only commands that run long install it: a short command keeps Node's default, where one Ctrl-C
 * ends it.
 */

/**
 * A command stopped by Ctrl-C or SIGTERM after cleaning up: the CLI prints its message (how to
 * resume) and exits 128 + the signal's number, as a shell reports a command a signal ended — or
 * 0 for a command that stopping ends as it should (`workLeft: false`: the demo).
 */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  readonly exitCode: number;

  constructor(message: string, options: { workLeft?: boolean } = {}) {
    super(message);
    this.exitCode = options.workLeft === false ? 0 : interruption.reason === 'SIGTERM' ? 143 : 130;
  }
}

/** What the commands say to the person at the terminal goes to stderr, one line each. */
const toStderr = (message: string): void => void process.stderr.write(`${message}\n`);

const controller = new AbortController();
let installed = false;

/** Aborted on the first SIGINT or SIGTERM once handleInterrupts() has been called. */
export const interruption: AbortSignal = controller.signal;

export function handleInterrupts(say: (message: string) => void = toStderr): void {
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
export function throwIfInterrupted(what: string, options: { workLeft?: boolean } = {}): void {
  if (interruption.aborted) throw new InterruptedError(what, options);
}

/**
 * Waits for a clean stop that was asked for, at most `seconds`: a stop that hangs (a service that
 * stopped answering in the middle of a batch) must not keep a process its operator asked to end
 * alive for minutes. Past the deadline it says what did not finish and exits 2 (a service failing)
 * at once; what was not committed is read again by the next start, so nothing is lost.
 */
export async function stopWithin(stopping: Promise<void>, seconds: number, what: string, say: (message: string) => void = toStderr): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), seconds * 1000);
  });
  try {
    if ((await Promise.race([stopping, deadline])) !== 'late') return;
  } finally {
    clearTimeout(timer);
  }
  say(`${what} did not stop within ${seconds}s (is a service not answering?); exiting without finishing: what was not committed is read again at the next start`);
  process.exit(2);
}
