import { pdfText as winAnsi } from '@coldtrace/cloud';
import { COLDTRACE_VERSION } from '@coldtrace/shared';
import PDFDocument from 'pdfkit';
import { formatDuration } from './duration.js';
import type { CheckResult } from './expectations.js';
import type { LoadedScenario } from './load-scenario.js';
import { runClock, type ScenarioRun } from './runner.js';

type Doc = InstanceType<typeof PDFDocument>;

/** A4 portrait in PDF points (ISO 216). */
const PAGE = { width: 595.28, height: 841.89, margin: 50 };
const WIDTH = PAGE.width - 2 * PAGE.margin;

/** The standard fonts' WinAnsiEncoding has no ≥ ≤: spelled out rather than shown as `?`. */
const text = (s: string) => winAnsi(s.replace(/≥/g, '>=').replace(/≤/g, '<=').replace(/→/g, '->'));

/**
 * The validation report of `--report out.pdf` (IQ/OQ evidence), the same content as the HTML one
 * (`report-html.ts`): verdict, scenario, software version, clock, run problems, every expectation with
 * what was observed and PASS/FAIL, the timeline and the excursions observed. Rendered with PDFKit.
 */
export function validationReportPdf(
  loaded: LoadedScenario,
  run: ScenarioRun,
  check: CheckResult,
  now = new Date(),
): Promise<Buffer> {
  const s = loaded.scenario;
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    bufferPages: true,
    info: {
      Title: text(`Validation report: ${s.name}`),
      Author: 'coldtrace',
      Creator: `coldtrace ${COLDTRACE_VERSION}`,
      CreationDate: now,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const met = check.results.filter((r) => r.pass).length;
  doc
    .font('Helvetica-Bold')
    .fontSize(16)
    .text(text(`Validation report: ${s.name}`), { width: WIDTH });
  doc
    .moveDown(0.3)
    .fontSize(13)
    .fillColor(check.pass ? '#006600' : '#bb0000')
    .text(`${check.pass ? 'PASS' : 'FAIL'}: ${met} of ${check.results.length} expectation(s) met`);
  doc.fillColor('#000000');
  const c = run.observed.counts;
  table(
    doc,
    [140, WIDTH - 140],
    [
      ['Scenario file', loaded.source],
      ['Description', s.description ?? ''],
      ['Software', `coldtrace ${COLDTRACE_VERSION} (Node ${process.version})`],
      ['Run at', now.toISOString()],
      [
        'Scenario time',
        `${s.start} + ${formatDuration(s.duration)} (seed ${s.seed}); ${runClock(run).replace('×', 'x')}, tick ${formatDuration(s.clock.tick)}`,
      ],
      ['Real time taken', `${(run.wallMs / 1000).toFixed(1)} s`],
      [
        'Cloud store',
        `${c.readings} readings, ${c.movements} movements, ${c.alarms} alarms, ${c.excursions} excursions, ${c.deadLetters} dead letters`,
      ],
    ],
  );
  if (check.problems.length) {
    heading(doc, 'Run problems (each fails the check)');
    table(
      doc,
      [WIDTH],
      check.problems.map((p) => [p]),
    );
  }
  heading(doc, 'Expectations');
  table(
    doc,
    [22, 30, 185, 203, 55],
    [
      ['#', 'Line', 'Expected', 'Observed', 'Result'],
      ...check.results.map((r) => [
        String(r.index + 1),
        String(r.line),
        r.expected,
        r.observed,
        r.pass ? 'PASS' : r.unavailable ? 'FAIL (not evaluable)' : 'FAIL',
      ]),
    ],
    true,
  );
  heading(doc, 'Timeline');
  table(
    doc,
    [55, 300, WIDTH - 355],
    [
      ['At', 'Event', 'Note'],
      ...s.timeline.map((e) => {
        const { at, note, ...rest } = e;
        return [`+${formatDuration(at)}`, JSON.stringify(rest), note ?? ''];
      }),
    ],
    true,
  );
  heading(doc, 'Excursions observed');
  const xs = run.observed.excursions;
  table(
    doc,
    [130, 80, 80, 80, WIDTH - 370],
    [
      ['Location', 'Start', 'End', 'Peak °C', 'Critical'],
      ...(xs.length
        ? xs.map((x) => [
            x.locationId,
            `+${formatDuration(x.startMs)}`,
            x.endMs === null ? 'ongoing' : `+${formatDuration(x.endMs)}`,
            x.peakC.toFixed(1),
            x.critical ? 'yes' : 'no',
          ])
        : [['none', '', '', '', '']]),
    ],
    true,
  );
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc
      .font('Helvetica')
      .fontSize(8)
      .fillColor('#555555')
      .text(
        text(`${s.name} - page ${i + 1} of ${range.count}`),
        PAGE.margin,
        PAGE.height - PAGE.margin + 10,
        { width: WIDTH, align: 'center', lineBreak: false },
      );
  }
  doc.end();
  return done;
}

function heading(doc: Doc, title: string): void {
  if (doc.y > PAGE.height - PAGE.margin - 80) doc.addPage();
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).fillColor('#000000');
  doc.text(text(title), PAGE.margin, doc.y, { width: WIDTH });
  doc.moveDown(0.3);
}

/** Rows of cells in columns of the given widths; the first row bold when `header`. Breaks pages. */
function table(doc: Doc, widths: number[], rows: string[][], header = false): void {
  rows.forEach((row, ri) => {
    const bold = header && ri === 0;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8.5);
    const heights = row.map((cell, i) => doc.heightOfString(text(cell), { width: widths[i]! - 6 }));
    const h = Math.max(10, ...heights) + 4;
    if (doc.y + h > PAGE.height - PAGE.margin - 10) doc.addPage();
    const y = doc.y;
    let x = PAGE.margin;
    row.forEach((cell, i) => {
      const failCell = !bold && (cell === 'FAIL' || cell.startsWith('FAIL ('));
      doc.fillColor(failCell ? '#bb0000' : cell === 'PASS' && !bold ? '#006600' : '#000000');
      doc.text(text(cell), x + 3, y + 2, { width: widths[i]! - 6 });
      x += widths[i]!;
    });
    doc.fillColor('#000000');
    doc
      .moveTo(PAGE.margin, y + h)
      .lineTo(PAGE.margin + widths.reduce((a, b) => a + b, 0), y + h)
      .lineWidth(0.3)
      .strokeColor('#aaaaaa')
      .stroke();
    doc.x = PAGE.margin;
    doc.y = y + h;
  });
}
