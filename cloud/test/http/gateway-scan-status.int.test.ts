import { type GatewayStatus, gatewayTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/auth.js';
import { T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * A gateway's retained status with its scan stations and scan page (shared/src/status.ts), through the
 * embedded broker into the gateway view (`GET /api/v1/gateways/{id}`, what the gateway page shows); a
 * status without them (a gateway without scanners, or older than these fields) still shows.
 */
const GW = 'gw-scan-status';
let cloud: TestCloud;
let gw: MqttClient;

beforeAll(async () => {
  cloud = await startTestCloud();
  gw = await cloud.connect(GW, await cloud.addGateway(GW));
});
afterAll(async () => {
  await gw?.endAsync();
  await cloud?.stop();
});

const view = async () =>
  (
    await cloud.app.inject({
      method: 'GET',
      url: `/api/v1/gateways/${GW}`,
      headers: await bearer(cloud, ['viewer']),
    })
  ).json() as { statusAt: number | null; status: GatewayStatus | null };

const publishStatus = (status: GatewayStatus) =>
  gw.publishAsync(gatewayTopic(GW, 'status'), JSON.stringify(status), { qos: 1, retain: true });

describe('scan stations in the gateway view', () => {
  it('shows each station and the page from the retained status, and a status without them', async () => {
    const scanStations: GatewayStatus['scanStations'] = [
      {
        stationId: 'dock-1',
        source: 'serial',
        locationId: 'bay',
        direction: 'receiving',
        state: 'error',
        scans: 0,
        refused: {},
        lastError: 'cannot open /dev/ttyACM0: No such file or directory',
      },
      {
        stationId: 'fridge-2',
        source: 'page',
        locationId: 'fridge-2',
        direction: 'putaway',
        state: 'open',
        lastScanTs: T0 - 5000,
        scans: 12,
        refused: { barcode_check_digit: 2, hibc_unlinked_secondary: 1 },
        lastError: 'barcode_check_digit: check digit 4, expected 3',
      },
    ];
    const scanPage = { state: 'serving', host: '0.0.0.0', port: 8088 } as const;
    await publishStatus({ gatewayId: GW, state: 'online', ts: T0, scanStations, scanPage });
    await until(async () => (await view()).statusAt === T0, 'the status with scan stations stored');
    expect((await view()).status).toMatchObject({ scanStations, scanPage });

    await publishStatus({ gatewayId: GW, state: 'online', ts: T0 + 1000 });
    await until(async () => (await view()).statusAt === T0 + 1000, 'the status without them stored');
    const plain = (await view()).status!;
    expect(plain).toEqual({ gatewayId: GW, state: 'online', ts: T0 + 1000 });
  });
});
