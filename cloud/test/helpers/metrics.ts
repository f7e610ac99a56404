import type { Cloud } from '../../src/cloud.js';

/** The cloud's `/metrics` text. */
export async function scrapeMetrics(cloud: Cloud): Promise<string> {
  return (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
}

/** The value of one series (`name{labels}` as Prometheus writes it), or undefined when the text has none. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
