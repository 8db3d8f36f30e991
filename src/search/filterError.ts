import { UserError } from '../errors.ts';

/** A filter the service cannot run: where in the text (1-based column), why, and maybe a fix. */
export class FilterError extends UserError {
  override readonly name = 'FilterError';

  constructor(
    message: string,
    readonly column: number,
    readonly length = 1,
    readonly suggestion?: string,
  ) {
    super(message);
  }
}
