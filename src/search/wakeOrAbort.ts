/**
 * Waits for a wake-up: `register` hands the wake-up function to whoever will call it and returns
 * how to withdraw it. Rejects with `signal`'s reason (the caller's deadline) if it aborts first,
 * withdrawing the wake-up so nobody hands a turn to a caller that has gone.
 */
export function wakeOrAbort(register: (wake: () => void) => () => void, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const wake = (): void => {
      signal?.removeEventListener('abort', leave);
      resolve();
    };
    const withdraw = register(wake);
    const leave = (): void => {
      withdraw();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', leave, { once: true });
  });
}
