import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloud, registerGateway, startCloud, UserStore } from '@coldtrace/cloud';
import { type Gateway, parseGatewayConfig, type ScanStationModule, startGateway } from '@coldtrace/edge';
import {
  labelCode,
  type ScanLot,
  type ScannerSimulator,
  socatMissing,
  startScannerSimulator,
} from '@coldtrace/firmware-sim';
import { gatewayTopic, type Reading, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epcisErrors } from '../../cloud/test/epcis/epcis-schema.js';

/**
 * Scanner simulator (a socat pseudo-terminal) → a gateway's scan station → aedes → cloud → SQLite: untagged
 * vials scanned into a fridge get custody, are locked when the fridge warms, appear in the recall trace and
 * in the EPCIS export; a vial that also carries a tag (its SGTIN commissioned) is the same unit.
 */
const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const GTIN = '80614141123458';
const LOT: ScanLot = {
  gtin: GTIN,
  lot: 'V1',
  expiry: '2027-06-30',
  units: 3,
  serialFrom: 1,
  format: 'datamatrix',
};
const epc = (serial: number) =>
  sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial, filter: 1 });
const skipReason = socatMissing();
if (skipReason) console.warn(`SKIPPED scanner → gateway → cloud: ${skipReason}`);

let dir: string;
let cloud: Cloud;
let gateway: Gateway;
let scanner: ScannerSimulator;
let token: string;
// biome-ignore lint/suspicious/noExplicitAny: JSON answers, asserted field by field
const api = async (method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${cloud.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
};

beforeAll(async () => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'coldtrace-scan-e2e-'));
  cloud = await startCloud(
    {
      database: `sqlite:${join(dir, 'cloud.db')}`,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      ingest: { scans: { companyPrefixes: ['0614141'] } },
      evaluation: { debounceMs: 20 },
    },
    { log },
  );
  token = (
    await new UserStore(cloud.store.db).createToken({ name: 't', roles: ['admin'], userId: null }, Date.now())
  ).token;
  await api('PUT', '/api/v1/locations/fridge', {
    name: 'Store fridge',
    kind: 'store',
    minC: 2,
    maxC: 8,
    alarmDelayMs: 2000,
    criticalMarginC: 10,
    maxGapMs: 1_800_000,
  });
  await api('PUT', `/api/v1/products/${GTIN}`, {
    name: 'Vaccine',
    minC: 2,
    maxC: 8,
    stabilityBudgetMs: 3_600_000,
  });
  await api('PUT', '/api/v1/lots/LOT-V', { gtin: GTIN, lotNumber: 'V1', expiry: '2027-06-30' });
  // Vial 1 also carries an RFID tag: its SGTIN is commissioned to the lot.
  await api('POST', '/api/v1/lots/LOT-V/epcs', { epcs: [epc(1)] });
  scanner = await startScannerSimulator({ dir, suffix: '\r' });
  gateway = await startGateway(
    parseGatewayConfig({
      gatewayId: 'gw-store',
      dataDir: join(dir, 'gw'),
      mqtt: {
        url: cloud.mqttUrl!,
        password: await registerGateway(cloud.store, { id: 'gw-store', now: Date.now() }),
      },
      batch: { maxRecords: 50, maxAgeMs: 100 },
      scanStations: [
        {
          id: 'fridge-in',
          path: scanner.devicePath,
          locationId: 'fridge',
          direction: 'putaway',
          symbologyId: 'required',
          reopenMs: 50,
        },
      ],
    }),
    { log },
  );
});

afterAll(async () => {
  await gateway?.stop();
  await scanner?.stop();
  await cloud?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skipReason !== null)('scanner simulator → gateway → cloud', () => {
  it('scanned vials get custody, the tagged one as the same unit; the fridge warms: all locked, traced, in EPCIS', async () => {
    const station = gateway.modules.find((m) => m.name === 'scan:fridge-in') as ScanStationModule;
    await until(() => station.report().deviceOpen, 'the station opened the scanner');
    const scannedAt = Date.now();
    await scanner.send(`${labelCode(LOT, '1').slice(0, 12)}`); // cut short: refused, nothing recorded
    for (const serial of ['1', '2', '3']) await scanner.send(labelCode(LOT, serial));
    await until(() => station.report().scans === 3, 'three scans read');
    expect(Object.values(station.report().refused)).toEqual([1]);

    const trace = async () =>
      (await api('GET', '/api/v1/lots/LOT-V/trace')) as {
        units: Array<{ epc: string; serial: string; location: string | null; locked: boolean }>;
      };
    await until(
      async () =>
        (await trace()).units.every((u) => u.location === 'fridge') && (await trace()).units.length === 3,
      'three vials in the fridge',
    );
    // One unit per vial: the tagged vial scanned is its commissioned SGTIN, not a second unit.
    expect((await trace()).units.map((u) => [u.epc, u.serial]).sort()).toEqual(
      [1, 2, 3].map((s) => [epc(s), String(s)]).sort(),
    );
    // Precondition of the lock: nothing is locked while the fridge is in range.
    expect((await trace()).units.some((u) => u.locked)).toBe(false);

    // The fridge's sensor (another gateway) reports 12 °C from 5 s after the scans for 25 s.
    const sensors = await mqtt.connectAsync(cloud.mqttUrl!, {
      clientId: 'gw-sensor',
      username: 'gw-sensor',
      password: await registerGateway(cloud.store, { id: 'gw-sensor', now: Date.now() }),
    });
    const records: Reading[] = Array.from({ length: 30 }, (_, i) => ({
      seq: i + 1,
      sensorId: 'fridge-a',
      locationId: 'fridge',
      ts: scannedAt + 1000 + i * 1000,
      tempC: i >= 5 ? 12 : 5,
      quality: 'ok',
    }));
    await sensors.publishAsync(
      gatewayTopic('gw-sensor', 'readings'),
      JSON.stringify({ gatewayId: 'gw-sensor', firstSeq: 1, lastSeq: 30, sentAt: Date.now(), records }),
      { qos: 1 },
    );
    await sensors.endAsync();
    await until(
      async () => (await trace()).units.every((u) => u.locked),
      'every vial locked by the excursion',
    );

    const doc = await api('GET', '/api/v1/epcis/events?lot=LOT-V');
    expect(epcisErrors(doc)).toEqual([]);
    const scanEvents = doc.epcisBody.eventList.filter(
      (e: Record<string, unknown>) => 'ct:scanDirection' in e,
    );
    expect(scanEvents.map((e: { bizStep: string }) => e.bizStep)).toEqual(['storing']);
    expect(scanEvents[0].epcList.sort()).toEqual(
      [1, 2, 3].map((s) => `urn:epc:id:sgtin:0614141.812345.${s}`).sort(),
    );
  });
});
