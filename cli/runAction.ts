import { withHiddenValues } from '../src/hiddenValues.ts';
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
        // A message from any layer may quote a `${VAR}`'s value or a credential (a client refusing it).
        const message = withHiddenValues(error.message);
        process.stderr.write(error instanceof InterruptedError ? `${message}\n` : `fedsearch: ${message}\n`);
        process.exitCode = error.exitCode;
        return;
      }
      // A bug's stack is printed as it is, but for the values it must not show.
      if (error instanceof Error) {
        error.message = withHiddenValues(error.message);
        if (error.stack !== undefined) error.stack = withHiddenValues(error.stack);
      }
      throw error;
    }
  };
}
