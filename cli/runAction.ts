import { InfrastructureError, UserError } from '../src/errors.ts';

/** Wraps a command action: known errors print their message and set the documented exit code. */
export function runAction<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof UserError || error instanceof InfrastructureError) {
        process.stderr.write(`fedsearch: ${error.message}\n`);
        process.exitCode = error.exitCode;
        return;
      }
      throw error;
    }
  };
}
