/**
 * The sum of a metric's samples in Prometheus's text format: every line of `name` (with or without
 * labels; not a longer name it prefixes) whose labels include each of `having`.
 */
export function metricSum(text: string, name: string, having: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const labels = line.slice(name.length, line.lastIndexOf(' '));
    if (Object.entries(having).some(([label, value]) => !labels.includes(`{${label}="${value}"`) && !labels.includes(`,${label}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A `fedsearch run` process's /metrics page. */
export async function scrape(metricsUrl: string): Promise<string> {
  return (await fetch(`${metricsUrl}/metrics`)).text();
}
