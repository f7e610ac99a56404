import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadGatewayConfig, mqttPassword, mqttTls, parseGatewayConfig } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'coldtrace-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const minimal = `
gatewayId: wh-1
mqtt:
  url: mqtt://127.0.0.1:1883
  password: s3cret
`;

describe('gateway config', () => {
  it('applies defaults to a minimal YAML config', () => {
    const c = loadGatewayConfig(file('ok.yaml', minimal));
    expect(c).toMatchObject({
      gatewayId: 'wh-1',
      buffer: { maxBytes: 512 * 1024 * 1024, synchronous: 'FULL' },
      batch: { maxRecords: 5000, maxAgeMs: 1000, inflightWindow: 4 },
      portals: [],
      modbus: [],
      statusIntervalMs: 30_000,
    });
    expect(mqttPassword(c)).toBe('s3cret');
  });

  it('reads JSON too, and a password file', () => {
    const secret = file('gw.secret', 'from-file\n');
    const c = loadGatewayConfig(
      file(
        'ok.json',
        JSON.stringify({ gatewayId: 'wh-2', mqtt: { url: 'mqtt://h:1', passwordFile: secret } }),
      ),
    );
    expect(mqttPassword(c)).toBe('from-file');
  });

  it('reads the mqtt.tls files for the publisher (ca, cert, key)', () => {
    const tls = {
      caFile: file('ca.pem', 'CA'),
      certFile: file('gw.pem', 'CERT'),
      keyFile: file('gw.key', 'KEY'),
    };
    const c = parseGatewayConfig({ gatewayId: 'wh-3', mqtt: { url: 'mqtts://h:8883', password: 'p', tls } });
    const read = mqttTls(c);
    expect([read.ca?.toString(), read.cert?.toString(), read.key?.toString()]).toEqual(['CA', 'CERT', 'KEY']);
    expect(mqttTls(parseGatewayConfig({ gatewayId: 'wh-3', mqtt: { url: 'mqtt://h:1' } }))).toEqual({});
    const missing = parseGatewayConfig({
      gatewayId: 'wh-3',
      mqtt: { url: 'mqtts://h:8883', tls: { caFile: join(dir, 'nope.pem') } },
    });
    expect(() => mqttTls(missing)).toThrow(/mqtt\.tls\.caFile: cannot read .*nope\.pem/);
    expect(() =>
      parseGatewayConfig({
        gatewayId: 'wh-3',
        mqtt: { url: 'mqtts://h:8883', tls: { certFile: tls.certFile } },
      }),
    ).toThrow(/certFile and keyFile together/);
  });

  it('names the file, each bad path and what is wrong', () => {
    const p = file(
      'bad.yaml',
      `
gatewayId: "wh/1"
mqtt: { url: "not a url", password: x }
buffer: { maxBytes: 10 }
locations:
  - id: room-1
    limits: { minC: 8, maxC: 2, alarmDelayMs: 0, criticalMarginC: 1, maxGapMs: 1000 }
modbus:
  - id: bus-1
    path: /dev/ttyUSB0
    sensors: [{ id: s1, address: 300, locationId: room-1 }]
`,
    );
    let err: unknown;
    try {
      loadGatewayConfig(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain(`${p}: gatewayId: must be 1-64 characters`);
    expect(msg).toMatch(new RegExp(`${p}: mqtt\\.url: `));
    expect(msg).toMatch(new RegExp(`${p}: buffer\\.maxBytes: .*65536`));
    expect(msg).toMatch(new RegExp(`${p}: locations\\.0\\.limits\\.maxC: minC must be below maxC`));
    expect(msg).toMatch(new RegExp(`${p}: modbus\\.0\\.sensors\\.0\\.address: .*247`));
  });

  it('rejects unknown keys (a typo must not silently fall back to a default)', () => {
    expect(() =>
      parseGatewayConfig({ gatewayId: 'g', mqtt: { url: 'mqtt://h:1' }, bufer: {} }, 'x.yaml'),
    ).toThrow(/x\.yaml: \(root\): Unrecognized key.*bufer/);
  });

  it('rejects duplicate ids across buses and portals', () => {
    const bus = (id: string) => ({
      id,
      path: '/dev/null',
      sensors: [{ id: 's1', address: 1, locationId: 'r' }],
    });
    expect(() =>
      parseGatewayConfig({ gatewayId: 'g', mqtt: { url: 'mqtt://h:1' }, modbus: [bus('a'), bus('b')] }),
    ).toThrow(/modbus: a sensor id is used on two buses/);
  });

  it('refuses a reader report trigger of 0 tags (LLRP "no limit": a portal would never report)', () => {
    const portal = {
      id: 'dock-1',
      reader: { host: '192.0.2.10', reportEveryTags: 0 },
      inside: { locationId: 'room', antennas: [1] },
      outside: { locationId: 'dock', antennas: [2] },
    };
    expect(() =>
      parseGatewayConfig({ gatewayId: 'g', mqtt: { url: 'mqtt://h:1' }, portals: [portal] }),
    ).toThrow(/portals\.0\.reader\.reportEveryTags/);
    portal.reader.reportEveryTags = 1;
    expect(
      parseGatewayConfig({ gatewayId: 'g', mqtt: { url: 'mqtt://h:1' }, portals: [portal] }).portals,
    ).toHaveLength(1);
  });

  it('says clearly when the file is missing or not YAML', () => {
    expect(() => loadGatewayConfig(join(dir, 'nope.yaml'))).toThrow(/nope\.yaml: cannot read/);
    expect(() => loadGatewayConfig(file('broken.yaml', 'gatewayId: [unclosed'))).toThrow(
      /broken\.yaml: not valid YAML/,
    );
  });
});
