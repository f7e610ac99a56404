import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { ScanOutcome } from './scan-converter.js';
import { APP_JS, indexPage, stationPage } from './scan-page-assets.js';
import type { ScanPageConfig } from './scan-page-config.js';

const MAX_BODY_BYTES = 8 * 1024;
const HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export interface ScanPageServer {
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { ...HEADERS, 'content-type': type });
  res.end(body);
}
const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, 'application/json', JSON.stringify(body));
const refuse = (res: ServerResponse, status: number, error: string, message: string) =>
  json(res, status, { error, message });

/**
 * The barcode decoder the page uses for photos: ZXing's browser build from the gateway's own
 * node_modules (no CDN: the page must work on a site without internet), read from disk on request so an
 * idle gateway holds none of its 330 KB.
 */
const ZXING_UMD = createRequire(import.meta.url).resolve('@zxing/library/umd/index.min.js');

async function sendDecoder(res: ServerResponse) {
  const body = await readFile(ZXING_UMD);
  res.writeHead(200, {
    ...HEADERS,
    'content-type': 'text/javascript; charset=utf-8',
    // The decoder changes only with the gateway's version: cached for a day, not per request.
    'cache-control': 'public, max-age=86400',
  });
  res.end(body);
}

function tokenOk(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The scan page (docs/barcode.md "Scan page"): `GET /scan` lists the page stations, `GET
 * /scan/stations/:id` is a station's page, `POST /scan/stations/:id/scans` `{ "code": "…" }` takes one
 * scan (201 with the scan, 422 with the refusal's code, 401 without the token, 404 for another station,
 * 400 for a body over 8 KiB or not `{ code: string }`).
 */
export async function startScanPageServer(
  cfg: ScanPageConfig,
  submit: (stationId: string, code: string) => ScanOutcome,
): Promise<ScanPageServer> {
  const byId = new Map(cfg.stations.map((s) => [s.id, s]));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (req.method === 'GET' && path === '/scan')
      return send(res, 200, 'text/html; charset=utf-8', indexPage(cfg.stations));
    if (req.method === 'GET' && path === '/favicon.ico') {
      res.writeHead(204, HEADERS); // no icon: a browser's automatic request is not an error
      return res.end();
    }
    if (req.method === 'GET' && path === '/scan/app.js')
      return send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
    if (req.method === 'GET' && path === '/scan/zxing.js') return sendDecoder(res);
    const m = /^\/scan\/stations\/([^/]+)(\/scans)?$/.exec(path);
    const station = m ? byId.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !station) return refuse(res, 404, 'not_found', 'no such scan page or station');
    if (req.method === 'GET' && !m[2])
      return send(res, 200, 'text/html; charset=utf-8', stationPage(station));
    if (req.method !== 'POST' || !m[2]) return refuse(res, 404, 'not_found', 'no such route');
    if (!tokenOk(req, cfg.token))
      return refuse(res, 401, 'unauthorized', 'the scan page token is missing or wrong');
    const text = await readBody(req);
    if (text === null)
      return refuse(res, 400, 'invalid', `a scan request is at most ${MAX_BODY_BYTES} bytes`);
    let code: unknown;
    try {
      code = (JSON.parse(text) as { code?: unknown })?.code;
    } catch {
      code = undefined;
    }
    if (typeof code !== 'string') return refuse(res, 400, 'invalid', 'the body must be JSON { "code": "…" }');
    const out = submit(station.id, code);
    if (out.ok) return json(res, 201, { scan: out.record });
    return refuse(res, 422, out.code, out.message);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) refuse(res, 500, 'internal', err.message);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
