import { InfrastructureError } from '../src/errors.ts';

/**
 * A problem with the local stack that the user can act on (missing Java, a taken port, a
 * service that did not come up). The CLI prints the message without a stack trace and exits 2.
 */
export class StackError extends InfrastructureError {
  override readonly name = 'StackError';
}
