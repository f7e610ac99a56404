import { browserMissing } from '@coldtrace/cloud/testing';
import { socatMissing as socatMissingReason } from '@coldtrace/firmware-sim';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { checkEpcisExport } from './demo-epcis-check.js';
import { checkQaPages } from './demo-pages-check.js';
import { type DemoRun, playDemo } from './demo-run.js';

/**
 * The demo journey played once (on the discrete-event clock), then checked as a user of its cloud sees
 * it: the EPCIS 2.0 export of every lot validates against the GS1 schema and tells the journey, and the
 * QA pages in a real browser draw the excursion from its readings and take QA's release and rejection
 * with e-signatures. `coldtrace demo` itself (the command, on the scaled clock) is `demo.e2e.test.ts`.
 */
const socatMissing = socatMissingReason();
if (socatMissing) console.warn(`SKIPPED demo journey: ${socatMissing}`);
const noBrowser = browserMissing();
if (noBrowser && !socatMissing) console.warn(`SKIPPED demo pages in a real browser: ${noBrowser}`);

describe.skipIf(socatMissing !== null)('the demo journey, played once', () => {
  let demo: DemoRun | undefined;
  let failed = false;
  beforeAll(async () => {
    demo = await playDemo();
  }, 180_000);
  afterAll(async () => {
    await demo?.close(failed);
  });

  it('carries out every timeline event on the discrete-event clock', () => {
    onTestFailed(() => {
      failed = true;
    });
    expect(demo!.run.clock).toBe('virtual');
    expect(demo!.run.eventErrors, 'every timeline event was carried out').toEqual([]);
  });

  it('exports every lot as a schema-valid EPCIS document that tells the journey', {
    timeout: 60_000,
  }, async () => {
    onTestFailed(() => {
      failed = true;
    });
    await checkEpcisExport(demo!);
  });

  // After the EPCIS check: QA's decisions end the locks that export shows.
  it.skipIf(noBrowser !== null)(
    'in a real browser: logs in, opens the excursion, the chart is drawn from its readings, QA releases one lot and rejects the other',
    { timeout: 180_000 },
    async () => {
      onTestFailed(() => {
        failed = true;
      });
      await checkQaPages(demo!);
    },
  );
});
