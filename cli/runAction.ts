import { asInfrastructureError, InfrastructureError, UserError } from '../src/errors.ts';
import { InterruptedError } from '../src/interruption.ts';

/** Wraps a command action: known errors print their message and set the documented exit code. */
export function runAction<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (thrown) {
      // A client's connection or response error means a service is missing or failing: exit 2.
      const error = asInfrastructureError(thrown, 'a service did not answer');
      if (error instanceof UserError || error instanceof InfrastructureError || error instanceof InterruptedError) {
        process.stderr.write(error instanceof InterruptedError ? `${error.message}\n` : `fedsearch: ${error.message}\n`);
        process.exitCode = error.exitCode;
        return;
      }
      throw error;
    }
  };
}
