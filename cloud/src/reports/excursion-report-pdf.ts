import { ColdtraceError } from '@coldtrace/shared';
import PDFDocument from 'pdfkit';
import { approvals, decisions, heldQuantities, lockAnnex, lots } from './excursion-report-sections.js';
import { CONTENT_WIDTH, type Column, type Doc, heading, PAGE, pageFooters, table } from './pdf-layout.js';
import { fmtDuration, fmtTemp, fmtTime, pdfText } from './pdf-text.js';
import type { ExcursionReportInput, RenderOptions } from './report-input.js';
import { calibrationNotes, sensorLabel } from './report-sensors.js';
import { type ChartBox, drawTemperatureChart } from './temperature-chart.js';

/**
 * Where the chart's plot sits on page 1 (PDF points from the top-left), exported for rendering checks.
 * Below the statistics with room to spare (they end near y = 310); only report notes long enough to run
 * past it push the chart down.
 */
export const CHART_BOX: ChartBox = { x: PAGE.margin + 30, y: 372, width: CONTENT_WIDTH - 30, height: 210 };
export const PAGE_SIZE_PT = { width: PAGE.width, height: PAGE.height };

/**
 * Renders the auditor's excursion report (21 CFR 11.50 signature manifestations) as a PDF:
 * header (report id, generation time, software version), excursion statistics, temperature chart
 * (limits, shaded excursion, one line per sensor), affected lots with their lock summary and decisions,
 * decisions with their e-signatures, review and approval, an audit excerpt, an annex of the units' own
 * lock entries, and "page i of n" on every page. Pure: the same input and `creationDate` give the
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
  heldQuantities(doc, input);
  decisions(doc, input);
  approvals(doc, input);
  audit(doc, input);
  lockAnnex(doc, input);
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

function header(doc: Doc, input: ExcursionReportInput): void {
  const e = input.excursion;
  doc.font('Helvetica-Bold').fontSize(16).text('Temperature excursion report', PAGE.margin, PAGE.margin);
  doc.font('Helvetica').fontSize(9).fillColor('#333333');
  const lines = [
    `Report ID: ${input.reportId}${input.supersedes ? ` (supersedes ${input.supersedes})` : ''}`,
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

function audit(doc: Doc, input: ExcursionReportInput): void {
  heading(doc, 'Audit trail excerpt');
  // The columns of the excursion page's audit history (pages/static/audit-view.js), with the same text.
  const cols: Column[] = [
    { title: '#', width: 28, align: 'right' },
    { title: 'Time', width: 88 },
    { title: 'User', width: 72 },
    { title: 'Action', width: 82 },
    { title: 'Entry', width: CONTENT_WIDTH - 345 },
    { title: 'Reason', width: 75 },
  ];
  table(
    doc,
    cols,
    input.audit
      .filter((a) => !a.unit)
      .map((a) => {
        const who = a.actorName ?? a.actor;
        const changes = (a.changes ?? []).map((c) =>
          c.before === '—' ? `${c.field}: ${c.after}` : `${c.field}: ${c.before} → ${c.after}`,
        );
        return [
          String(a.seq),
          fmtTime(a.at),
          who === a.actor ? who : `${who} (${a.actor})`,
          a.action,
          [a.summary ?? a.action, ...changes].join('\n'),
          a.detail ?? '',
        ];
      }),
    'No audit entries for this excursion.',
  );
}

function pageNumbers(doc: Doc, input: ExcursionReportInput): void {
  pageFooters(doc, (i, n) => `${input.reportId} — coldtrace ${input.version} — Page ${i} of ${n}`, {
    x: PAGE.margin,
    y: PAGE.height - 32,
    width: CONTENT_WIDTH,
  });
}
