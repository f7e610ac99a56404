import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@coldtrace/shared/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScanPageModule } from '../../src/scan/scan-page-module.js';
import { writeDataMatrixY4m } from './fake-camera.js';
import { scanRig, PAGE_TOKEN as TOKEN } from './scan-rig.js';

// Live camera scanning on the scan page: Chromium's fake camera plays a video of a GS1 DataMatrix label
// (made by bwip-js) in a loop, the way a phone held over a label keeps showing it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? null : `scan page camera test skipped: ${CHROMIUM} is missing`;
if (skip) console.warn(`[skip] ${skip}`);

const rig = scanRig();
afterEach(() => rig.close());

/** Chromium granting the camera without asking; with `video`, the camera is that Y4M file. */
async function browser(video: string | null): Promise<BrowserContext> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldtrace-chromium-'));
  const media = ['--use-fake-ui-for-media-stream'];
  if (video) media.push('--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`);
  const context = await chromium.launchPersistentContext(dataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', ...media],
  });
  rig.onClose(async () => {
    await context.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return context;
}

async function stationPage(
  gw: { modules: ReadonlyArray<{ name: string }> },
  video: string | null,
  detectorFormats?: string[],
): Promise<{ page: Page; errors: string[] }> {
  const port = (gw.modules.find((m) => m.name === 'scan-page') as ScanPageModule).port();
  const page = await (await browser(video)).newPage();
  if (detectorFormats) await page.addInitScript({ content: standInDetector(detectorFormats) });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/scan/stations/fridge-2#token=${TOKEN}`);
  return { page, errors };
}

const reads = async (page: Page) =>
  Number((await page.locator('#camera-status').getAttribute('data-reads')) ?? 0);

const CONFIG = {
  scanPage: {
    port: 0,
    token: TOKEN,
    stations: [{ id: 'fridge-2', locationId: 'fridge-2', direction: 'putaway' as const }],
  },
};

function labelVideo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-camera-'));
  rig.onClose(async () => rmSync(dir, { recursive: true, force: true }));
  const video = join(dir, 'label.y4m');
  writeDataMatrixY4m(video, '(01)09521234543213(17)270630(10)LOT-9(21)77');
  return video;
}

/**
 * Chromium on Linux has no BarcodeDetector: a stand-in that reads every frame as a code the video does
 * not show (LOT-7), so a scan of LOT-7 proves the detector was used and LOT-9 that ZXing was.
 */
function standInDetector(formats: string[]): string {
  return `window.BarcodeDetector = class {
    static async getSupportedFormats() { return ${JSON.stringify(formats)}; }
    async detect(source) {
      if (!(source instanceof HTMLVideoElement) || source.videoWidth === 0) throw new Error('not a playing video');
      return [{ rawValue: '(01)09521234543213(17)270630(10)LOT-7(21)5', format: 'data_matrix' }];
    }
  };`;
}

describe.skipIf(skip !== null)('scan page in a browser (live camera)', () => {
  it('a label held in front of the camera becomes one scan, not one per frame; stopping releases the camera', async () => {
    const { gw, scans } = await rig.start(CONFIG);
    const { page, errors } = await stationPage(gw, labelVideo());

    await page.locator('#camera').click();
    await page.locator('#results li').first().waitFor();
    expect(await page.locator('#results li').first().textContent()).toBe(
      'OK  09521234543213  lot LOT-9  exp 2027-06-30  SN 77',
    );
    await until(() => scans().length === 1, 'the scan published');
    expect(scans()[0]).toMatchObject({
      gtin: '09521234543213',
      lot: 'LOT-9',
      serial: '77',
      direction: 'putaway',
      stationId: 'fridge-2',
    });

    // The camera keeps reading the same label (precondition of the negative assertion below)...
    const seen = await reads(page);
    await until(async () => (await reads(page)) >= seen + 8, 'eight more frames read the label');
    // ...and it was submitted once: one answer on the page, one record published.
    expect(await page.locator('#results li').count()).toBe(1);
    expect(scans()).toHaveLength(1);

    await page.locator('#camera').click();
    expect(await page.locator('#camera').textContent()).toBe('Scan with camera');
    // The stream is detached and the video hidden (the test's tsconfig has no DOM types: a string script).
    expect(await page.evaluate("document.getElementById('video').srcObject === null")).toBe(true);
    expect(await page.locator('#video').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });

  it("the browser's BarcodeDetector reads the frames when it supports the GS1 symbologies, else ZXing does", async () => {
    const video = labelVideo();
    const { gw, scans } = await rig.start(CONFIG);
    const withDetector = await stationPage(gw, video, ['data_matrix', 'qr_code', 'code_128']);
    await withDetector.page.locator('#camera').click();
    await until(() => scans().length === 1, 'the scan published');
    expect(scans()[0]).toMatchObject({ lot: 'LOT-7', serial: '5' });

    // A detector without DataMatrix (only QR) is not used: the label is read by ZXing.
    const qrOnly = await stationPage(gw, video, ['qr_code']);
    await qrOnly.page.locator('#camera').click();
    await until(() => scans().length === 2, 'the second scan published');
    expect(scans()[1]).toMatchObject({ lot: 'LOT-9', serial: '77' });
    expect([...withDetector.errors, ...qrOnly.errors]).toEqual([]);
  });

  it('without a camera the page says so and records nothing', async () => {
    const { gw, scans } = await rig.start(CONFIG);
    const { page, errors } = await stationPage(gw, null);
    // Precondition: this browser really has no camera.
    expect(
      await page.evaluate(
        "navigator.mediaDevices.enumerateDevices().then((ds) => ds.some((d) => d.kind === 'videoinput'))",
      ),
    ).toBe(false);
    await page.locator('#camera').click();
    await page.locator('#results li').first().waitFor();
    expect(await page.locator('#results li').first().textContent()).toBe('NO CAMERA found on this device');
    expect(await page.locator('#camera').textContent()).toBe('Scan with camera');
    expect(scans()).toHaveLength(0);
    expect(errors).toEqual([]);
  });
});
