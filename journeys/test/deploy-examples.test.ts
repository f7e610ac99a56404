import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudConfigSchema, loadCloudConfig } from '@coldtrace/cloud';
import { parseGatewayConfig } from '@coldtrace/edge';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const DEPLOY = join(dirname(fileURLToPath(import.meta.url)), '../../deploy');
const examples = readdirSync(join(DEPLOY, 'examples')).filter((f) => /\.ya?ml$/.test(f));

describe('deploy/examples', () => {
  it('has the cloud, warehouse and truck examples', () => {
    expect(examples).toEqual(
      expect.arrayContaining(['cloud.yaml', 'edge-warehouse.yaml', 'edge-truck.yaml']),
    );
  });

  it.each(examples)('%s is valid against its schema', (file) => {
    const path = join(DEPLOY, 'examples', file);
    if (file.startsWith('cloud')) {
      const config = loadCloudConfig(path);
      expect(config.influx?.measurement).toBe('temperature');
      // Every key written in the file is known to the (strict) schema: parsing again changes nothing.
      expect(cloudConfigSchema.parse(config)).toEqual(config);
    } else {
      const config = parseGatewayConfig(parseYaml(readFileSync(path, 'utf8')), file);
      expect(config.gatewayId).toMatch(/^[a-z]/);
      expect(config.modbus.length + config.portals.length).toBeGreaterThan(0);
    }
  });

  it('rejects an example with an unknown key (the check is not vacuous)', () => {
    const raw = parseYaml(readFileSync(join(DEPLOY, 'examples/edge-truck.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(() => parseGatewayConfig({ ...raw, colour: 'blue' }, 'edge-truck.yaml')).toThrow(
      /colour|unrecognized/i,
    );
    expect(() => cloudConfigSchema.parse({ influx: { url: 'not a url' } })).toThrow();
  });

  it('the Grafana dashboard reads the InfluxDB measurement the sink writes', () => {
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/dashboards/coldtrace.json'), 'utf8'));
    const queries: string[] = dashboard.panels.flatMap((p: { targets?: Array<{ query?: string }> }) =>
      (p.targets ?? []).map((t) => t.query ?? ''),
    );
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) expect(q).toMatch(/FROM "temperature"/);
  });
});
