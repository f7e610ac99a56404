import { encodeGatewayPayload, type Movement, type Reading, sgtin96Hex } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealManifest } from '../../src/domain/signature-manifest.js';
import { createUser, login, type Session, type TestUser } from '../helpers/auth.js';
import { movement, readings, readingsBatch, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';
import { hasPoppler, pdfToText } from '../reports/pdf-tools.js';

const MIN = 60_000;
const GTIN = '80614141123458';
const U1 = sgtin96Hex({ companyPrefix: '0614141', itemRef: '812345', serial: 1 });
const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 10 * MIN, criticalMarginC: 5, maxGapMs: 30 * MIN };

/**
 * 21 CFR 11.70 over HTTP: a disposition signed through the API answers with its manifest hash, which the
 * dispositions list, the excursion detail, the audit trail and the excursion report all give alike.
 */
describe('dispositions: the signed manifest over the API', () => {
  let cloud: TestCloud;
  let qa: TestUser;
  let qaSession: Session;
  let excursionId: string;

  const call = async (method: string, url: string, payload?: object) => {
    const res = await cloud.app.inject({
      method: method as 'GET',
      url,
      payload,
      headers: qaSession.headers as never,
    });
    return {
      status: res.statusCode,
      body:
        res.body && res.headers['content-type']?.toString().includes('json')
          ? JSON.parse(res.body)
          : undefined,
      raw: res.rawPayload,
    };
  };
  const ok = async (method: string, url: string, payload?: object) => {
    const r = await call(method, url, payload);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const publish = async (name: 'readings' | 'movements', records: Array<Reading | Movement>) => {
    const out = await cloud.ingestor.handle({
      topic: `coldtrace/v1/gw/gw-a/${name}`,
      payload: Buffer.from(encodeGatewayPayload(name, readingsBatch('gw-a', records as never) as never)),
    });
    expect(out.kind).toBe('stored');
  };

  beforeAll(async () => {
    cloud = await startTestCloud({ mqtt: { embedded: { enabled: false } } });
    const admin = await createUser(cloud.store, { roles: ['admin'] });
    qa = await createUser(cloud.store, { roles: ['qa'], printedName: 'Quinn Assurance' });
    qaSession = await login(cloud, admin.username, admin.password);
    await ok('PUT', '/api/v1/locations/room1', { name: 'Cold room 1', kind: 'room', ...LIMITS });
    await ok('PUT', `/api/v1/products/${GTIN}`, {
      name: 'Vaccine X',
      minC: 2,
      maxC: 8,
      stabilityBudgetMs: 0,
    });
    await ok('PUT', '/api/v1/lots/LOT-1', { gtin: GTIN, lotNumber: 'LOT-1', expiry: '2027-12-31' });
    await ok('POST', '/api/v1/lots/LOT-1/epcs', { epcs: [U1] });
    qaSession = await login(cloud, qa.username, qa.password);
    await cloud.addGateway('gw-a');
    await publish('movements', [
      movement(1, U1, {
        from: 'dock',
        to: 'room1',
        direction: 'in',
        ts: T0 - MIN,
        firstSeen: T0 - MIN,
        lastSeen: T0 - MIN,
      }),
    ]);
    const room = readings(31, { firstSeq: 2, sensorId: 's-room1', locationId: 'room1', stepMs: 2 * MIN });
    await publish(
      'readings',
      room.map((r, k) => ({ ...r, ts: T0 + 2 * k * MIN, tempC: k >= 5 && k < 15 ? 12 : 5 })),
    );
    await until(async () => {
      await cloud.evaluator.flush();
      return (await ok('GET', '/api/v1/lots/LOT-1')).units.locked === 1;
    }, 'the unit locked by the excursion');
    [{ id: excursionId }] = await ok('GET', '/api/v1/excursions?locationId=room1');
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it('the signing answers with the manifest hash; the list, the detail, the audit entry and the PDF give the same', async () => {
    const id = encodeURIComponent(excursionId);
    const signed = await ok('POST', `/api/v1/excursions/${id}/dispositions`, {
      lotId: 'LOT-1',
      decision: 'reject',
      reason: 'above 8 °C for 20 min',
      username: qa.username,
      password: qa.password,
    });
    expect(signed.manifestHash).toMatch(/^[0-9a-f]{64}$/);
    const row = await cloud.evaluator.engine.db
      .selectFrom('dispositions')
      .select(['manifest_json', 'manifest_hash'])
      .where('id', '=', signed.id)
      .executeTakeFirstOrThrow();
    expect(sealManifest(JSON.parse(row.manifest_json!)).hash).toBe(signed.manifestHash);
    expect(JSON.parse(row.manifest_json!)).toMatchObject({
      decision: 'reject',
      scope: { type: 'lot', lotId: 'LOT-1', units: [U1] },
      signer: { username: qa.username, printedName: 'Quinn Assurance' },
    });
    expect(await ok('GET', `/api/v1/dispositions?excursionId=${id}`)).toEqual([
      expect.objectContaining({ id: signed.id, manifestHash: signed.manifestHash }),
    ]);
    const detail = await ok('GET', `/api/v1/excursions/${id}`);
    expect(detail.dispositions).toEqual([expect.objectContaining({ manifestHash: signed.manifestHash })]);
    const audit = (await ok('GET', `/api/v1/audit?entityType=excursion&entityId=${id}`)) as Array<{
      action: string;
      after: Record<string, unknown> | null;
    }>;
    expect(audit.find((a) => a.action === 'disposition.reject')?.after).toMatchObject({
      manifestHash: signed.manifestHash,
    });
    const pdf = await call('GET', `/api/v1/excursions/${id}/report.pdf`);
    expect(pdf.status).toBe(200);
    if (!hasPoppler()) {
      console.warn('SKIPPED PDF manifest text check: poppler-utils (pdftotext) is not installed');
      return;
    }
    expect(pdfToText(pdf.raw)).toContain(`Signed manifest SHA-256: ${signed.manifestHash}`);
  });
});
