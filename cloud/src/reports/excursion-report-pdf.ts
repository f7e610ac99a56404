import { ColdtraceError } from '@coldtrace/shared';
import PDFDocument from 'pdfkit';
import { fmtDuration, fmtTemp, fmtTime, pdfText } from './pdf-text.js';
import type { ExcursionReportInput, RenderOptions } from './report-input.js';
import { calibrationNotes, sensorLabel } from './report-sensors.js';
import { type ChartBox, drawTemperatureChart } from './temperature-chart.js';

type Doc = InstanceType<typeof PDFDocument>;

/** A4 portrait in PDF points (ISO 216: 210 × 297 mm). */
const PAGE = { width: 595.28, height: 841.89, margin: 50 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
/**
 * Where the chart's plot sits on page 1 (PDF points from the top-left), exported for rendering checks.
 * Below the statistics with room to spare (they end near y = 310); only report notes long enough to run
 * past it push the chart down.
 */
export const CHART_BOX: ChartBox = { x: PAGE.margin + 30, y: 372, width: CONTENT_WIDTH - 30, height: 210 };
export const PAGE_SIZE_PT = { width: PAGE.width, height: PAGE.height };

interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

/**
 * Renders the auditor's excursion report (21 CFR 11.50 signature manifestations) as a PDF:
 * header (report id, generation time, software version), excursion statistics, temperature chart
 * (limits, shaded excursion, one line per sensor), affected lots, decisions with their e-signatures,
 * an audit excerpt, and "page i of n" on every page. Pure: the same input and `creationDate` give the
 * same bytes.
 */
export async function renderExcursionReport(
  input: ExcursionReportInput,
  opts: RenderOptions = {},
): Promise<Buffer> {
  validate(input);
  const creationDate = opts.creationDate ?? new Date(input.generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    bufferPages: true,
    compress: true,
    info: {
      Title: pdfText(`Excursion report ${input.excursion.id}`),
      Author: 'coldtrace',
      Subject: pdfText(`Temperature excursion at ${input.excursion.locationName}`),
      Creator: `coldtrace ${input.version}`,
      Producer: `coldtrace ${input.version} (PDFKit)`,
      CreationDate: creationDate,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  header(doc, input);
  statistics(doc, input);
  chart(doc, input);
  lots(doc, input);
  decisions(doc, input);
  audit(doc, input);
  pageNumbers(doc, input);
  doc.end();
  return done;
}

function validate(input: ExcursionReportInput): void {
  const e = input.excursion;
  const times = [input.generatedAt, e.startTs, ...(e.endTs === null ? [] : [e.endTs])];
  if (!times.every((t) => Number.isFinite(t) && !Number.isNaN(new Date(t).getTime()))) {
    throw new ColdtraceError(
      'invalid',
      `excursion report ${input.reportId}: times must be epoch milliseconds`,
    );
  }
  if (!(input.limits.minC < input.limits.maxC)) {
    throw new ColdtraceError('invalid', `excursion report ${input.reportId}: limits need minC < maxC`);
  }
}

function heading(doc: Doc, text: string): void {
  ensureSpace(doc, 110); // a heading never ends a page alone
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).fillColor('#000000');
  doc.text(pdfText(text), PAGE.margin, doc.y, { width: CONTENT_WIDTH });
  doc.moveDown(0.3).font('Helvetica').fontSize(9);
}

function ensureSpace(doc: Doc, needed: number): void {
  if (doc.y + needed > PAGE.height - PAGE.margin - 20) doc.addPage();
}

function header(doc: Doc, input: ExcursionReportInput): void {
  const e = input.excursion;
  doc.font('Helvetica-Bold').fontSize(16).text('Temperature excursion report', PAGE.margin, PAGE.margin);
  doc.font('Helvetica').fontSize(9).fillColor('#333333');
  const lines = [
    `Report ID: ${input.reportId}`,
    `Excursion: ${e.id}`,
    `Generated at: ${fmtTime(input.generatedAt)}${input.generatedBy ? ` by ${input.generatedBy}` : ''}`,
    `Software: coldtrace ${input.version}`,
  ];
  for (const l of lines) doc.text(pdfText(l));
  doc.fillColor('#000000');
  doc
    .moveTo(PAGE.margin, doc.y + 4)
    .lineTo(PAGE.width - PAGE.margin, doc.y + 4)
    .lineWidth(0.5)
    .strokeColor('#888888')
    .stroke();
  doc.moveDown(0.5);
}

function statistics(doc: Doc, input: ExcursionReportInput): void {
  const e = input.excursion;
  const l = input.limits;
  heading(doc, 'Excursion statistics');
  const rows: Array<[string, string]> = [
    ['Location', `${e.locationName} (${e.locationId})`],
    ['Limits', `${fmtTemp(l.minC)} to ${fmtTemp(l.maxC)}`],
    ['Alarm delay / critical margin', `${fmtDuration(l.alarmDelayMs)} / ${l.criticalMarginC} °C`],
    ['Start', fmtTime(e.startTs)],
    ['End', e.endTs === null ? 'ongoing' : fmtTime(e.endTs)],
    ['Duration', `${fmtDuration(e.durationMs)}${e.endTs === null ? ' (so far)' : ''}`],
    ['Minimum', fmtTemp(e.minC)],
    ['Maximum', fmtTemp(e.maxC)],
    ['Peak', fmtTemp(e.peakC)],
    ['Degree-minutes', `${e.degreeMinutes.toFixed(1)} °C·min`],
    ['MKT (USP <1079>)', fmtTemp(e.mktC, 2)],
    ['Critical', e.critical ? 'yes (critical margin passed)' : 'no'],
    ['Sensors', (e.sensors ? e.sensors.map(sensorLabel) : e.sensorIds).join('; ') || '–'],
    ['State', e.state],
  ];
  const top = doc.y;
  const col = CONTENT_WIDTH / 2;
  rows.forEach(([k, v], i) => {
    const x = PAGE.margin + (i % 2) * col;
    const y = top + Math.floor(i / 2) * 24;
    doc
      .font('Helvetica-Bold')
      .fontSize(7.5)
      .fillColor('#555555')
      .text(pdfText(k), x, y, { width: col - 8 });
    doc
      .font('Helvetica')
      .fontSize(9)
      .fillColor('#000000')
      .text(pdfText(v), x, y + 9, { width: col - 8, height: 12, ellipsis: true });
  });
  doc.y = top + Math.ceil(rows.length / 2) * 24;
  doc.x = PAGE.margin;
  for (const n of [...(input.notes ?? []), ...calibrationNotes(e.sensors ?? [])])
    doc
      .font('Helvetica-Oblique')
      .fontSize(8)
      .text(pdfText(`Note: ${n}`), { width: CONTENT_WIDTH });
  doc.font('Helvetica');
}

function chart(doc: Doc, input: ExcursionReportInput): void {
  const e = input.excursion;
  // the chart has a fixed place on page 1 so that renderings can be checked; statistics end above it
  doc.y = Math.max(doc.y, CHART_BOX.y - 40);
  heading(doc, 'Temperature');
  const endTs =
    e.endTs ?? Math.max(e.startTs + e.durationMs, ...input.series.flatMap((s) => s.points.map((p) => p.ts)));
  const margin = Math.max(30 * 60_000, (endTs - e.startTs) / 4);
  const fromTs = input.window?.fromTs ?? e.startTs - margin;
  const toTs = input.window?.toTs ?? endTs + margin;
  const below = drawTemperatureChart(doc, {
    box: { ...CHART_BOX, y: Math.max(CHART_BOX.y, doc.y + 10) },
    fromTs,
    toTs,
    limits: input.limits,
    shade: { fromTs: e.startTs, toTs: e.endTs ?? endTs, critical: e.critical },
    series: input.series,
  });
  doc.x = PAGE.margin;
  doc.y = below + 4;
}

function table(doc: Doc, columns: Column[], rows: string[][], empty: string): void {
  const drawHeader = () => {
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(7.5).fillColor('#000000');
    let x = PAGE.margin;
    let h = 0;
    for (const c of columns) {
      doc.text(pdfText(c.title), x + 2, y, { width: c.width - 4, align: c.align ?? 'left' });
      h = Math.max(h, doc.y - y);
      x += c.width;
    }
    doc.y = y + h + 2;
    doc
      .moveTo(PAGE.margin, doc.y)
      .lineTo(PAGE.margin + CONTENT_WIDTH, doc.y)
      .lineWidth(0.5)
      .strokeColor('#000000')
      .stroke();
    doc.y += 3;
  };
  ensureSpace(doc, 40);
  drawHeader();
  if (rows.length === 0) {
    doc
      .font('Helvetica-Oblique')
      .fontSize(8.5)
      .text(pdfText(empty), PAGE.margin, doc.y, { width: CONTENT_WIDTH });
    doc.font('Helvetica');
    return;
  }
  doc.font('Helvetica').fontSize(8);
  for (const row of rows) {
    const texts = row.map((t) => pdfText(t));
    const h = Math.max(...texts.map((t, i) => doc.heightOfString(t, { width: columns[i]!.width - 4 })));
    if (doc.y + h > PAGE.height - PAGE.margin - 20) {
      doc.addPage();
      drawHeader();
      doc.font('Helvetica').fontSize(8);
    }
    const y = doc.y;
    let x = PAGE.margin;
    texts.forEach((t, i) => {
      doc.text(t, x + 2, y, { width: columns[i]!.width - 4, align: columns[i]!.align ?? 'left' });
      x += columns[i]!.width;
    });
    doc.y = y + h + 3;
    doc
      .moveTo(PAGE.margin, doc.y - 1.5)
      .lineTo(PAGE.margin + CONTENT_WIDTH, doc.y - 1.5)
      .lineWidth(0.2)
      .strokeColor('#cccccc')
      .stroke();
  }
  doc.x = PAGE.margin;
}

function lots(doc: Doc, input: ExcursionReportInput): void {
  heading(doc, 'Affected lots');
  const cols: Column[] = [
    { title: 'Lot', width: 58 },
    { title: 'GTIN', width: 72 },
    { title: 'Product', width: 80 },
    { title: 'Units exposed / locked / total', width: 62, align: 'right' },
    { title: 'Where units are now', width: 85 },
    { title: 'Outside tolerance / stability budget', width: 88 },
    { title: 'MKT', width: 50, align: 'right' },
  ];
  const rows = input.lots.map((l) => {
    const tol =
      l.toleranceMinC != null && l.toleranceMaxC != null
        ? ` (tolerance ${l.toleranceMinC}..${l.toleranceMaxC} °C)`
        : '';
    const budget =
      l.stabilityBudgetMs === null
        ? `${fmtDuration(l.timeOutsideMs)} / no budget set`
        : `${fmtDuration(l.timeOutsideMs)} / ${fmtDuration(l.stabilityBudgetMs)} (${Math.round((100 * l.timeOutsideMs) / Math.max(1, l.stabilityBudgetMs))} %)${l.timeOutsideMs > l.stabilityBudgetMs ? ' EXCEEDED' : ''}`;
    return [
      l.lotNumber,
      l.gtin,
      l.productName,
      `${l.unitsExposed} / ${l.unitsLocked} / ${l.unitsTotal}`,
      l.whereNow.map((w) => `${w.location}: ${w.units}`).join('\n') || '–',
      budget + tol,
      fmtTemp(l.mktC, 2),
    ];
  });
  table(doc, cols, rows, 'No lot is affected by this excursion (no commissioned unit was exposed to it).');
}

function decisions(doc: Doc, input: ExcursionReportInput): void {
  heading(doc, 'Decisions and electronic signatures');
  if (input.decisions.length === 0) {
    doc
      .font('Helvetica-Oblique')
      .fontSize(8.5)
      .text(
        'No decision has been recorded yet: affected stock stays locked pending QA review.',
        PAGE.margin,
        doc.y,
        { width: CONTENT_WIDTH },
      );
    doc.font('Helvetica');
    return;
  }
  for (const d of input.decisions) {
    ensureSpace(doc, 70);
    const top = doc.y;
    doc
      .font('Helvetica-Bold')
      .fontSize(9.5)
      .text(pdfText(`${d.decision.toUpperCase()} — ${d.scope}`), PAGE.margin + 8, top + 5, {
        width: CONTENT_WIDTH - 16,
      });
    doc
      .font('Helvetica')
      .fontSize(8.5)
      .text(pdfText(`Reason: ${d.reason}`), { width: CONTENT_WIDTH - 16 });
    const s = d.signature;
    doc.text(pdfText(`Signed by: ${s.printedName}${s.userId ? ` (${s.userId})` : ''}`), {
      width: CONTENT_WIDTH - 16,
    });
    doc.text(pdfText(`Meaning: ${s.meaning}`), { width: CONTENT_WIDTH - 16 });
    doc.text(pdfText(`Signed at: ${fmtTime(s.signedAt)}`), { width: CONTENT_WIDTH - 16 });
    doc.font('Helvetica-Oblique').fontSize(7).fillColor('#555555');
    doc.text(
      pdfText(
        `Decision ${d.id}; electronic signature per 21 CFR 11.50 / 11.200 (password re-entered at signing).`,
      ),
      { width: CONTENT_WIDTH - 16 },
    );
    // 21 CFR 11.70: the hash binds the printed signature to the manifest of what was signed.
    if (d.manifestHash)
      doc.text(pdfText(`Signed manifest SHA-256: ${d.manifestHash}`), { width: CONTENT_WIDTH - 16 });
    doc.fillColor('#000000').font('Helvetica');
    const bottom = doc.y + 5;
    doc
      .rect(PAGE.margin, top, CONTENT_WIDTH, bottom - top)
      .lineWidth(0.5)
      .strokeColor('#888888')
      .stroke();
    doc.y = bottom + 6;
  }
  doc.x = PAGE.margin;
}

function audit(doc: Doc, input: ExcursionReportInput): void {
  heading(doc, 'Audit trail excerpt');
  const cols: Column[] = [
    { title: '#', width: 35, align: 'right' },
    { title: 'Time', width: 110 },
    { title: 'Actor', width: 75 },
    { title: 'Action', width: 95 },
    { title: 'Detail', width: CONTENT_WIDTH - 315 },
  ];
  table(
    doc,
    cols,
    input.audit.map((a) => [String(a.seq), fmtTime(a.at), a.actor, a.action, a.detail ?? '']),
    'No audit entries for this excursion.',
  );
}

function pageNumbers(doc: Doc, input: ExcursionReportInput): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing into the margin must not add a page
    doc.font('Helvetica').fontSize(7.5).fillColor('#555555');
    doc.text(
      pdfText(`${input.reportId} — coldtrace ${input.version} — Page ${i + 1} of ${range.count}`),
      PAGE.margin,
      PAGE.height - 32,
      { width: CONTENT_WIDTH, align: 'center', lineBreak: false },
    );
    doc.page.margins.bottom = bottom;
  }
}
