/**
 * Two kinds of failure the CLI tells apart by exit code: the user can fix their input (1), or a
 * service we depend on is missing or misbehaving (2). Both print their message without a stack.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  readonly exitCode = 1;
}

export class InfrastructureError extends Error {
  override readonly name: string = 'InfrastructureError';
  readonly exitCode = 2;
}
