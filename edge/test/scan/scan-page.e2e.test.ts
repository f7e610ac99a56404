import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@coldtrace/shared/testing';
import bwipjs from 'bwip-js/node';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScanPageModule } from '../../src/scan/scan-page-module.js';
import { scanRig, PAGE_TOKEN as TOKEN } from './scan-rig.js';

// A keyboard-wedge scanner is a keyboard: the test types into the scan page in a real browser the way a
// wedge does (the code, FNC1 as Ctrl+], Enter) and follows the scan to the broker.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? null : `scan page browser test skipped: ${CHROMIUM} is missing`;
if (skip) console.warn(`[skip] ${skip}`);

const rig = scanRig();
afterEach(() => rig.close());

async function browser(): Promise<BrowserContext> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coldtrace-chromium-'));
  const context = await chromium.launchPersistentContext(dataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  rig.onClose(async () => {
    await context.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return context;
}

describe.skipIf(skip !== null)('scan page in a browser (keyboard wedge)', () => {
  it('a typed code with Ctrl+] as FNC1 becomes a scan with GS, shown on the page; a bad one is shown refused', async () => {
    const { gw, scans } = await rig.start({
      scanPage: {
        port: 0,
        token: TOKEN,
        stations: [{ id: 'fridge-2', locationId: 'fridge-2', direction: 'putaway' }],
      },
    });
    const port = (gw.modules.find((m) => m.name === 'scan-page') as ScanPageModule).port();
    const page = await (await browser()).newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/scan/stations/fridge-2#token=${TOKEN}`);
    // The token left the address bar (kept for the tab only).
    expect(new URL(page.url()).hash).toBe('');

    const input = page.locator('#code');
    await input.focus();
    await page.keyboard.type(']d2010952123454321317270600');
    await page.keyboard.press('Control+BracketRight');
    await page.keyboard.type('10LOT-9');
    await page.keyboard.press('Enter');
    await page.locator('#results li.ok').first().waitFor();
    expect(await page.locator('#results li.ok').first().textContent()).toBe(
      'OK  09521234543213  lot LOT-9  exp 2027-06-30',
    );
    await until(() => scans().length === 1, 'the scan published');
    expect(scans()[0]).toMatchObject({
      code: ']d2010952123454321317270600\u001d10LOT-9',
      lot: 'LOT-9',
      direction: 'putaway',
    });

    await page.keyboard.type(']d20109521234543214');
    await page.keyboard.press('Enter');
    await page.locator('#results li.refused').first().waitFor();
    expect(await page.locator('#results li.refused').first().textContent()).toMatch(
      /^REFUSED barcode_check_digit: /,
    );
    expect(await input.inputValue()).toBe('');
    expect(errors.filter((e) => !e.includes('422'))).toEqual([]);
  });

  it('works while the uplink is down: every scan typed then is published once, in order, when it returns', async () => {
    const { gw, scans, proxy } = await rig.start(
      {
        scanPage: {
          port: 0,
          token: TOKEN,
          stations: [{ id: 'recv-1', locationId: 'receiving-bay', direction: 'receiving' }],
        },
      },
      { uplinkProxy: true },
    );
    const port = (gw.modules.find((m) => m.name === 'scan-page') as ScanPageModule).port();
    const page = await (await browser()).newPage();
    await page.goto(`http://127.0.0.1:${port}/scan/stations/recv-1#token=${TOKEN}`);
    const input = page.locator('#code');
    await input.focus();
    const scan = async (code: string) => {
      await page.keyboard.type(code);
      await page.keyboard.press('Enter');
    };

    // One scan through the uplink first: the path works end to end.
    await scan('(01)09521234543213(17)270630(10)LOT-1(21)100');
    await until(() => scans().length === 1, 'the first scan published');

    proxy!.cut();
    // Precondition: the gateway is really cut off (it tried to reconnect and was refused).
    const refused = proxy!.refused;
    await until(() => proxy!.refused > refused, 'a reconnect refused while the uplink is down');
    const codes = Array.from({ length: 12 }, (_, i) => `(01)09521234543213(17)270630(10)LOT-1(21)${101 + i}`);
    for (const code of codes) await scan(code);
    await until(
      async () => (await page.locator('#results li.ok').count()) === 13,
      'every scan accepted by the page while the uplink is down',
    );
    expect(scans()).toHaveLength(1);

    proxy!.restore();
    await until(
      () => new Set(scans().map((r) => r.seq)).size >= 13,
      'the scans published after the uplink returned',
    );
    // At-least-once delivery may repeat a batch; a record is known by its sequence number.
    const bySeq = new Map(scans().map((r) => [r.seq, r]));
    expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect([...bySeq.values()].sort((a, b) => a.seq - b.seq).map((r) => r.serial)).toEqual(
      Array.from({ length: 13 }, (_, i) => String(100 + i)),
    );
  });

  it('a photo of a GS1 DataMatrix label (the phone camera) is decoded in the page and becomes a scan; a photo without a code says so', async () => {
    const { gw, scans } = await rig.start({
      scanPage: {
        port: 0,
        token: TOKEN,
        stations: [{ id: 'fridge-2', locationId: 'fridge-2', direction: 'putaway' }],
      },
    });
    const port = (gw.modules.find((m) => m.name === 'scan-page') as ScanPageModule).port();
    const page = await (await browser()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/scan/stations/fridge-2#token=${TOKEN}`);

    // A label as a printer makes it (bwip-js, BWIPP's GS1 DataMatrix encoder), photographed at 4 px per module.
    const label = await bwipjs.toBuffer({
      bcid: 'gs1datamatrix',
      text: '(01)09521234543213(17)270630(10)LOT-9(21)77',
      scale: 4,
      paddingwidth: 10,
      paddingheight: 10,
      backgroundcolor: 'FFFFFF',
    });
    await page.setInputFiles('#photo', { name: 'label.png', mimeType: 'image/png', buffer: label });
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
    });

    // A photo of something else (the top of this page: text, no symbol): nothing recorded, the person is told.
    const blank = await page.screenshot({ clip: { x: 0, y: 0, width: 200, height: 200 } });
    await page.setInputFiles('#photo', { name: 'blank.png', mimeType: 'image/png', buffer: blank });
    await until(async () => (await page.locator('#results li').count()) === 2, 'the second photo answered');
    expect(await page.locator('#results li').first().textContent()).toMatch(/^NO CODE FOUND/);
    expect(scans()).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
