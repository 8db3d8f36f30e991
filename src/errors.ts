import { redactUrlsIn } from './redactUrl.ts';

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

/**
 * A client error that means a service is unreachable or refused us (Elasticsearch connection or
 * response errors, kafkajs errors) becomes an InfrastructureError naming what we were doing;
 * anything else is returned unchanged.
 */
export function asInfrastructureError(error: unknown, doing: string): unknown {
  if (error instanceof UserError || error instanceof InfrastructureError) return error;
  const name = (error as Error | undefined)?.name ?? '';
  if (/^KafkaJS|ConnectionError|ResponseError|TimeoutError|NoLivingConnectionsError|ProductNotSupportedError/.test(name)) {
    return new InfrastructureError(`${doing}: ${redactUrlsIn((error as Error).message)}`);
  }
  return error;
}
