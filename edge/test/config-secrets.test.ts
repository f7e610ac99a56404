import { join } from 'node:path';
import { tempFiles } from '@coldtrace/shared/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadGatewayConfig, mqttPassword, parseGatewayConfig } from '../src/config.js';

/** The gateway's MQTT secret from the environment or a file (docs/operations.md "Secrets"). */
const { dir, file, remove } = tempFiles('coldtrace-edge-secrets-');
afterAll(remove);
const ENV = 'CT_EDGE_SECRET_TEST';
afterEach(() => {
  delete process.env[ENV];
});
const gw = (password: unknown) => ({ gatewayId: 'wh-1', mqtt: { url: 'mqtt://h:1883', password } });

describe('gateway config secrets', () => {
  it('mqtt.password: { env } and { file } resolve at load', () => {
    process.env[ENV] = 'env-secret';
    expect(mqttPassword(parseGatewayConfig(gw({ env: ENV }), 'gw.yaml'))).toBe('env-secret');
    const secret = file('gw.secret', 'file-secret\n');
    expect(mqttPassword(parseGatewayConfig(gw({ file: secret }), 'gw.yaml'))).toBe('file-secret');
  });

  it('a YAML file with password: { env: … }', () => {
    process.env[ENV] = 'yaml-env-secret';
    const path = file(
      'gw.yaml',
      `gatewayId: wh-1\nmqtt:\n  url: mqtt://h:1883\n  password: { env: ${ENV} }\n`,
    );
    expect(mqttPassword(loadGatewayConfig(path))).toBe('yaml-env-secret');
  });

  it('an unset variable, an unreadable or empty file fail the load with the field and the name', () => {
    expect(() => parseGatewayConfig(gw({ env: ENV }), 'gw.yaml')).toThrow(ConfigError);
    expect(() => parseGatewayConfig(gw({ env: ENV }), 'gw.yaml')).toThrow(
      `mqtt.password: environment variable ${ENV} is not set`,
    );
    const missing = join(dir, 'missing');
    expect(() => parseGatewayConfig(gw({ file: missing }), 'gw.yaml')).toThrow(
      `mqtt.password: cannot read secret file ${missing} (ENOENT)`,
    );
    const empty = file('empty', '');
    expect(() => parseGatewayConfig(gw({ file: empty }), 'gw.yaml')).toThrow(
      `mqtt.password: secret file ${empty} is empty`,
    );
  });

  it('passwordFile reads the same way as { file }, with the same errors', () => {
    const c = (passwordFile: string) =>
      parseGatewayConfig({ gatewayId: 'wh-1', mqtt: { url: 'mqtt://h:1883', passwordFile } }, 'gw.yaml');
    expect(mqttPassword(c(file('pf', 'pf-secret\r\n')))).toBe('pf-secret');
    const missing = join(dir, 'missing-pf');
    expect(() => mqttPassword(c(missing))).toThrow(
      new ConfigError(`mqtt.passwordFile: cannot read secret file ${missing} (ENOENT)`),
    );
  });
});
