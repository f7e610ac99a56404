import { gatewayTopic } from '@coldtrace/shared';
import { createTestPki, type TestPki } from '@coldtrace/shared/testing';
import mqtt, { type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateNames } from '../../src/broker/client-certificate.js';
import { readings, readingsBatch } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * MQTTS on the embedded broker (mqtt.embedded.tls) and mutual TLS for gateways: a client certificate
 * issued by `clientCa` must name the gateway that logs in (CN or SAN), as AWS IoT and EMQX bind a device
 * to its certificate. The gateway's options are those the edge publisher passes to mqtt.js (ca, cert, key).
 */
let pki: TestPki;
let otherPki: TestPki;
let tlsOnly: TestCloud;
let mutual: TestCloud;
const secrets: Record<string, string> = {};

const connect = (cloud: TestCloud, id: string, secret: string, tls: IClientOptions) =>
  mqtt.connectAsync(cloud.mqttUrl!, {
    clientId: id,
    username: id,
    password: secret,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...tls,
  });
/**
 * What became of a connection attempt: `connected`, the error mqtt.js reported, or `closed` (a TLS
 * handshake the server ended can close the stream without an error event).
 */
const attempt = (cloud: TestCloud, id: string, secret: string, tls: IClientOptions, url = cloud.mqttUrl!) =>
  new Promise<string>((resolve) => {
    const c = mqtt.connect(url, {
      clientId: id,
      username: id,
      password: secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...tls,
    });
    const done = (outcome: string) => {
      c.end(true);
      resolve(outcome);
    };
    c.once('connect', () => done('connected'));
    c.once('error', (err) => done(`error: ${err.message}`));
    c.once('close', () => done('closed'));
  });
const refusals = async (cloud: TestCloud) => {
  const body = (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(
    /coldtrace_mqtt_auth_failures_total\{reason="client_certificate"\} (\d+)/.exec(body)?.[1] ?? 0,
  );
};

beforeAll(async () => {
  pki = createTestPki();
  otherPki = createTestPki('another CA');
  const files = { certFile: pki.server.certFile, keyFile: pki.server.keyFile };
  tlsOnly = await startTestCloud({ mqtt: { embedded: { host: '127.0.0.1', port: 0, tls: files } } });
  mutual = await startTestCloud({
    mqtt: {
      embedded: {
        host: '127.0.0.1',
        port: 0,
        tls: { ...files, clientCa: pki.caFile, requireClientCert: true },
      },
    },
  });
  secrets.tls = await tlsOnly.addGateway('gw-a');
  secrets.a = await mutual.addGateway('gw-a');
  secrets.b = await mutual.addGateway('gw-b');
});
afterAll(async () => {
  await tlsOnly?.stop();
  await mutual?.stop();
  pki?.remove();
  otherPki?.remove();
});

describe('MQTTS', () => {
  it('a gateway connects over TLS trusting the CA, and its readings are ingested', async () => {
    expect(tlsOnly.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const gw = await connect(tlsOnly, 'gw-a', secrets.tls!, { ca: pki.ca });
    try {
      await gw.publishAsync(
        gatewayTopic('gw-a', 'readings'),
        JSON.stringify(readingsBatch('gw-a', readings(1))),
        { qos: 1 },
      );
      expect(await tlsOnly.store.listReadings({ gatewayId: 'gw-a' })).toHaveLength(1);
    } finally {
      await gw.endAsync();
    }
  });

  it('a client that does not trust the CA, or speaks plain MQTT, gets no session', async () => {
    expect(await attempt(tlsOnly, 'gw-a', secrets.tls!, { ca: pki.ca })).toBe('connected');
    expect(await attempt(tlsOnly, 'gw-a', secrets.tls!, {})).toMatch(
      /unable to verify the first certificate/,
    );
    const plainUrl = tlsOnly.mqttUrl!.replace('mqtts:', 'mqtt:');
    expect(await attempt(tlsOnly, 'gw-a', secrets.tls!, {}, plainUrl)).not.toBe('connected');
  });
});

describe('mutual TLS for gateways', () => {
  it('accepts a gateway whose certificate names it (CN, or SAN)', async () => {
    const byCn = pki.client('gw-a');
    const a = await connect(mutual, 'gw-a', secrets.a!, { ca: pki.ca, cert: byCn.cert, key: byCn.key });
    expect(a.connected).toBe(true);
    await a.endAsync();
    const bySan = pki.client('Warehouse B gateway', { san: 'gw-b' });
    const b = await connect(mutual, 'gw-b', secrets.b!, { ca: pki.ca, cert: bySan.cert, key: bySan.key });
    expect(b.connected).toBe(true);
    await b.endAsync();
  });

  it("refuses a gateway whose certificate names another gateway, even with that gateway's secret", async () => {
    const certOfA = pki.client('gw-a');
    // Precondition: the certificate and gw-b's secret are each good (gw-a connects with this certificate).
    const a = await connect(mutual, 'gw-a', secrets.a!, { ca: pki.ca, cert: certOfA.cert, key: certOfA.key });
    await a.endAsync();
    const before = await refusals(mutual);
    await expect(
      connect(mutual, 'gw-b', secrets.b!, { ca: pki.ca, cert: certOfA.cert, key: certOfA.key }),
    ).rejects.toThrow(/Not authorized/);
    expect(await refusals(mutual)).toBe(before + 1);
  });

  it('refuses a connection without a client certificate, or with one from another CA', async () => {
    expect(await attempt(mutual, 'gw-a', secrets.a!, { ca: pki.ca })).not.toBe('connected');
    const foreign = otherPki.client('gw-a');
    expect(
      await attempt(mutual, 'gw-a', secrets.a!, { ca: pki.ca, cert: foreign.cert, key: foreign.key }),
    ).not.toBe('connected');
    // The right certificate still gets in afterwards.
    const good = pki.client('gw-a');
    const a = await connect(mutual, 'gw-a', secrets.a!, { ca: pki.ca, cert: good.cert, key: good.key });
    expect(a.connected).toBe(true);
    await a.endAsync();
  });

  it('a wrong secret is still refused with the right certificate (two factors, not one)', async () => {
    const good = pki.client('gw-a');
    await expect(
      connect(mutual, 'gw-a', 'not-the-secret', { ca: pki.ca, cert: good.cert, key: good.key }),
    ).rejects.toThrow(/Bad username or password/);
  });
});

describe('certificateNames', () => {
  it('reads the CN and the DNS and URI SANs, not IP or e-mail ones', () => {
    expect(
      certificateNames({
        subject: { CN: 'gw-1' } as never,
        subjectaltname: 'DNS:gw-2, URI:gw-3, IP Address:10.0.0.1, email:a@b.example',
      }),
    ).toEqual(['gw-1', 'gw-2', 'gw-3']);
    expect(certificateNames({ subject: {} as never, subjectaltname: undefined as never })).toEqual([]);
  });
});
