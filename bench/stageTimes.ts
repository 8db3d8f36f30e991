import type { Registry } from 'prom-client';

/** Sums and counts of the live pipeline's histograms at one moment. */
export interface StageSnapshot {
  gatewaySeconds: number;
  gatewayRequests: number;
  endToEndSeconds: number;
  written: number;
}

async function sumAndCount(registry: Registry, name: string): Promise<{ sum: number; count: number }> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  const total = (suffix: string) => values.filter((v) => (v as { metricName?: string }).metricName === `${name}${suffix}`).reduce((n, v) => n + v.value, 0);
  return { sum: total('_sum'), count: total('_count') };
}

export async function stageSnapshot(registry: Registry): Promise<StageSnapshot> {
  const gateway = await sumAndCount(registry, 'fedsearch_gateway_request_seconds');
  const endToEnd = await sumAndCount(registry, 'fedsearch_end_to_end_seconds');
  return { gatewaySeconds: gateway.sum, gatewayRequests: gateway.count, endToEndSeconds: endToEnd.sum, written: endToEnd.count };
}

/**
 * A phase's share of the live pipeline's histograms, window by window: the mean gateway request
 * of its enrich stage (the backfill's own requests are not in them) and the mean time from a
 * change event to its document written (fedsearch_end_to_end_seconds, before the index refresh).
 */
export class StageTimes {
  private total: StageSnapshot = { gatewaySeconds: 0, gatewayRequests: 0, endToEndSeconds: 0, written: 0 };

  add(from: StageSnapshot, to: StageSnapshot): void {
    for (const key of Object.keys(this.total) as Array<keyof StageSnapshot>) this.total[key] += to[key] - from[key];
  }

  means(): { gatewayRequestMs: number; eventToWrittenMs: number } {
    const { gatewaySeconds, gatewayRequests, endToEndSeconds, written } = this.total;
    return { gatewayRequestMs: Math.round((gatewaySeconds / gatewayRequests) * 1000), eventToWrittenMs: Math.round((endToEndSeconds / written) * 1000) };
  }

  describe(): string {
    const { gatewayRequestMs, eventToWrittenMs } = this.means();
    return `live gateway request mean ${gatewayRequestMs} ms (${this.total.gatewayRequests} requests), event → written mean ${eventToWrittenMs} ms (${this.total.written} documents)`;
  }
}
