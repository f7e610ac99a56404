import type { Scan } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScanPageModule } from '../../src/scan/scan-page-module.js';
import { scrape } from '../modbus/metrics-text.js';
import { scanRig, PAGE_TOKEN as TOKEN } from './scan-rig.js';

// The scan page over real HTTP, in a whole gateway publishing to aedes.
const rig = scanRig();
afterEach(() => rig.close());

async function gatewayWithPage() {
  const { gw, scans } = await rig.start({
    scanPage: {
      port: 0,
      token: TOKEN,
      stations: [{ id: 'fridge-2', locationId: 'fridge-2', direction: 'putaway', fnc1As: '~' }],
    },
  });
  const page = gw.modules.find((m) => m.name === 'scan-page') as ScanPageModule;
  const base = `http://127.0.0.1:${page.port()}`;
  const post = (body: unknown, { token = TOKEN, station = 'fridge-2' } = {}) =>
    fetch(`${base}/scan/stations/${station}/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { gw, page, base, post, scans };
}

describe('scan page (keyboard wedge) over HTTP', () => {
  it('takes a scan into the movements stream and answers with it', async () => {
    const { post, scans, page } = await gatewayWithPage();
    const res = await post({ code: ']d2010952123454321317270600~10LOT-9' });
    expect(res.status).toBe(201);
    const { scan } = (await res.json()) as { scan: Scan };
    expect(scan).toMatchObject({
      stationId: 'fridge-2',
      direction: 'putaway',
      gtin: '09521234543213',
      lot: 'LOT-9',
    });
    await until(() => scans().length === 1, 'the scan published');
    expect(scans()[0]).toMatchObject({
      seq: 1,
      kind: 'scan',
      code: ']d2010952123454321317270600\u001d10LOT-9',
    });
    expect(page.report()).toEqual([expect.objectContaining({ id: 'fridge-2', scans: 1, deviceOpen: true })]);
  });

  it('answers each refusal with its code, stores nothing for it, and counts it', async () => {
    const { post, scans, gw, page } = await gatewayWithPage();
    const refused = async (r: Promise<Response>, status: number, error: string) => {
      const res = await r;
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ error });
    };
    await refused(post({ code: ']d20109521234543214' }), 422, 'barcode_check_digit');
    await refused(post({ code: '+$$52001510X3GD' }), 422, 'hibc_unlinked_secondary');
    await refused(post({ code: 'x'.repeat(1025) }), 422, 'barcode_malformed');
    await refused(
      post({ code: ']d20109521234543213' }, { token: 'wrong-token-of-the-same-len' }),
      401,
      'unauthorized',
    );
    await refused(post({ code: ']d20109521234543213' }, { station: 'dock-9' }), 404, 'not_found');
    await refused(post('{"code": 42}'), 400, 'invalid');
    await refused(post('not json'), 400, 'invalid');
    await refused(post({ code: 'x'.repeat(9000) }), 400, 'invalid');
    // Then a good scan: the one record on the stream (seq 1) proves the refusals stored nothing.
    expect((await post({ code: ']C100106141411234567897' })).status).toBe(201);
    await until(() => scans().length === 1, 'the good scan published');
    expect(scans()).toMatchObject([{ seq: 1, sscc: '106141411234567897' }]);
    expect(page.report()[0]!.refused).toEqual({
      barcode_check_digit: 1,
      hibc_unlinked_secondary: 1,
      barcode_malformed: 1,
    });
    const metrics = await scrape(gw.httpPort!);
    expect(
      metrics.get('coldtrace_gateway_scans_refused_total{station="fridge-2",code="barcode_check_digit"}'),
    ).toBe(1);
  });

  it('serves the station page with its script, under a strict content security policy', async () => {
    const { base } = await gatewayWithPage();
    const page = await fetch(`${base}/scan/stations/fridge-2`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('data-station="fridge-2"');
    expect(html).toContain('<script src="/scan/app.js"></script>');
    expect((await fetch(`${base}/scan/app.js`)).headers.get('content-type')).toContain('text/javascript');
    expect(await (await fetch(`${base}/scan`)).text()).toContain('href="/scan/stations/fridge-2"');
  });
});

describe('scan page config', () => {
  it('needs a token off the loopback interface', async () => {
    const { parseGatewayConfig } = await import('../../src/config.js');
    const cfg = (host: string, token?: string) => ({
      gatewayId: 'gw-1',
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      scanPage: {
        host,
        port: 8080,
        ...(token ? { token } : {}),
        stations: [{ id: 's', locationId: 'l', direction: 'picking' }],
      },
    });
    expect(parseGatewayConfig(cfg('127.0.0.1')).scanPage?.host).toBe('127.0.0.1');
    expect(() => parseGatewayConfig(cfg('0.0.0.0'))).toThrow('needs a token');
    expect(parseGatewayConfig(cfg('0.0.0.0', TOKEN)).scanPage?.token).toBe(TOKEN);
  });
});
