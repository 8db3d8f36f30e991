import type { GatewaySettings } from '../config/indexConfig.ts';
// Apollo's gateway and server (about 40 MiB and 0.4 s to load) only for a fetch by @key: imported when first needed.
import type { FetchByKeyGateway } from '../graph/fetchByKeyGateway.ts';
import type { FetchByKeyPlan } from '../graph/fetchByKey.ts';
import { redactUrlsIn } from '../redactUrl.ts';
import { errorMessages, GatewayRequestError, isRecord } from './gatewayErrors.ts';
import { schemaRejection } from './schemaRejection.ts';
import type { GatewayReply, GatewayTransport } from './gatewayTransport.ts';

/** A fetch by key, planned and executed in this process against the subgraphs themselves (started on first use). */
export class FetchByKeyTransport implements GatewayTransport {
  private gateway: Promise<FetchByKeyGateway> | null = null;

  constructor(
    private readonly plan: FetchByKeyPlan,
    private readonly settings: GatewaySettings,
  ) {}

  async send(query: string, variables: Record<string, unknown>): Promise<GatewayReply> {
    const { plan } = this;
    if (!this.gateway) {
      this.gateway = import('../graph/fetchByKeyGateway.ts').then(({ FetchByKeyGateway: Gateway }) => Gateway.start(plan, this.settings));
      this.gateway.catch(() => (this.gateway = null));
    }
    const gateway = await this.gateway;
    let answer: Awaited<ReturnType<FetchByKeyGateway['execute']>>;
    try {
      answer = await gateway.execute(query, variables);
    } catch (error) {
      throw new GatewayRequestError(`fetching ${plan.typeName} by key failed: ${redactUrlsIn((error as Error).message)}`, 'network');
    }
    const errors = (answer.body.errors ?? []).filter(isRecord);
    if (!isRecord(answer.body.data)) {
      throw new GatewayRequestError(`the graph answered ${plan.typeName} without data${errors.length > 0 ? `: ${errorMessages(errors).join('; ')}` : ''}`, 'no_data', 'request', schemaRejection(errors));
    }
    return { data: answer.body.data, errors, missing: answer.missing, subgraphFetches: answer.subgraphFetches };
  }

  /** Stops the in-process gateway if one was started. */
  async close(): Promise<void> {
    const gateway = this.gateway;
    this.gateway = null;
    if (gateway) await (await gateway).stop();
  }
}
