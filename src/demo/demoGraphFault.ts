import { DEFAULT_FAULT_ADMIN_PORT, type FaultRequest } from '../../subgraphs/faultAdmin.ts';
import { InfrastructureError, UserError } from '../errors.ts';

/** Where a demo graph started with the default ports serves its fault switch. */
export const DEFAULT_FAULT_ADMIN_URL = `http://127.0.0.1:${DEFAULT_FAULT_ADMIN_PORT}`;

/**
 * `fedsearch demo graph fault`: tells the running demo graph (through its loopback admin endpoint)
 * to fail a share of one subgraph's entity resolutions for a while; returns what to print.
 */
export async function setDemoGraphFault(adminUrl: string, request: FaultRequest): Promise<string> {
  let response: Response;
  try {
    response = await fetch(new URL('/faults', adminUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new InfrastructureError(`no demo graph answers at ${adminUrl} (${cause}): start one with \`fedsearch demo\` or \`fedsearch demo graph up\``);
  }
  const body = (await response.json().catch(() => ({}))) as { error?: string; fault?: { errorPercent: number; answer?: string; until: string } | null };
  if (!response.ok) throw new UserError(`the demo graph refused the fault: ${body.error ?? `HTTP ${response.status}`}`);
  if (!body.fault) return `${request.subgraph}: no fault; its entities resolve as usual`;
  const how = body.fault.answer === 'null' ? 'null, as if they did not exist,' : 'with a GraphQL error (FAULT_INJECTED)';
  return `${request.subgraph}: ${body.fault.errorPercent} % of its entity resolutions answer ${how} until ${body.fault.until}`;
}
