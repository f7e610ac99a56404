import { CONTENT_WIDTH, type Column, type Doc, ensureSpace, heading, PAGE, table } from './pdf-layout.js';
import { fmtDuration, fmtTemp, fmtTime, pdfText } from './pdf-text.js';
import type { ExcursionReportInput, ReportLot } from './report-input.js';

/** A lot as the report names it everywhere: its lot number, with the id the API uses when they differ. */
export function lotName(l: Pick<ReportLot, 'lotId' | 'lotNumber'>): string {
  return l.lotNumber === l.lotId ? l.lotNumber : `${l.lotNumber} (${l.lotId})`;
}

/** An MKT in its column (°C in the heading): `8.37`, `–` when unknown. */
const mktCell = (c: number | null) => fmtTemp(c, 2).replace(' °C', '');

/** `2025-03-10 08:40` (UTC): a lock time short enough for its column. */
const minuteOf = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

function budgetText(l: ReportLot): string {
  const tol =
    l.toleranceMinC != null && l.toleranceMaxC != null
      ? ` (tolerance ${l.toleranceMinC}..${l.toleranceMaxC} °C)`
      : '';
  if (l.stabilityBudgetMs === null) return `${fmtDuration(l.timeOutsideMs)} / no budget set${tol}`;
  const pct = Math.round((100 * l.timeOutsideMs) / Math.max(1, l.stabilityBudgetMs));
  const over = l.timeOutsideMs > l.stabilityBudgetMs ? ' EXCEEDED' : '';
  return `${fmtDuration(l.timeOutsideMs)} / ${fmtDuration(l.stabilityBudgetMs)} (${pct} %)${over}${tol}`;
}

/**
 * Affected lots, one row each: what was exposed and is still locked, when the lot's units were locked
 * (first and last), where they are now, the lot's assessment and the decisions signed on it. The units
 * themselves are in the annex.
 */
export function lots(doc: Doc, input: ExcursionReportInput): void {
  heading(doc, 'Affected lots');
  // The lot's two MKTs (docs/domain.md "Lot assessment"), one above the other, as the heading says.
  const cols: Column[] = [
    { title: 'Lot', width: 50 },
    { title: 'Product / GTIN', width: 68 },
    { title: 'Units exposed / locked / total', width: 55, align: 'right' },
    { title: 'Locked (first – last, UTC)', width: 70 },
    { title: 'Where units are now', width: 70 },
    { title: 'Outside tolerance / stability budget', width: 58 },
    { title: 'MKT °C over its excursions / over custody so far', width: 50, align: 'right' },
    { title: 'Decision', width: CONTENT_WIDTH - 421 },
  ];
  const rows = input.lots.map((l) => [
    lotName(l),
    `${l.productName}\n${l.gtin}`,
    `${l.unitsExposed} / ${l.unitsLocked} / ${l.unitsTotal}`,
    l.firstLockedAt == null
      ? '–'
      : l.lastLockedAt == null || l.lastLockedAt === l.firstLockedAt
        ? minuteOf(l.firstLockedAt)
        : `${minuteOf(l.firstLockedAt)} –\n${minuteOf(l.lastLockedAt)}`,
    l.whereNow.map((w) => `${w.location}: ${w.units}`).join('\n') || '–',
    budgetText(l),
    `${mktCell(l.mktC)} /\n${l.custodyMktC === undefined ? 'n/a' : mktCell(l.custodyMktC)}`,
    l.decisions?.length ? l.decisions.join('\n') : l.unitsLocked > 0 ? 'pending QA decision' : '–',
  ]);
  table(doc, cols, rows, 'No lot is affected by this excursion (no commissioned unit was exposed to it).');
}

/**
 * Units without serial the excursion held, per lot and location (quantity holds): they have no EPC, so
 * they are held and decided as a quantity of their lot. Left out when there are none.
 */
export function heldQuantities(doc: Doc, input: ExcursionReportInput): void {
  const held = input.heldQuantities ?? [];
  if (held.length === 0) return;
  heading(doc, 'Units without serial held');
  const cols: Column[] = [
    { title: 'Lot', width: 120 },
    { title: 'Location', width: 120 },
    { title: 'Units held', width: 60, align: 'right' },
    { title: 'State', width: 80 },
    { title: 'Decision', width: CONTENT_WIDTH - 380 },
  ];
  const rows = held.map((h) => [
    h.lotId,
    h.location,
    String(h.units),
    h.state,
    h.state === 'active'
      ? 'pending QA decision'
      : h.decidedUnits !== null && h.units > h.decidedUnits
        ? `${h.state} (${h.decidedUnits} units); ${h.units - h.decidedUnits} held since, pending QA decision`
        : `${h.state} (${h.decidedUnits ?? h.units} units)`,
  ]);
  table(doc, cols, rows, '');
}

/** The signed decisions, each with its e-signature manifestation (21 CFR 11.50) and manifest hash (11.70). */
export function decisions(doc: Doc, input: ExcursionReportInput): void {
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

/**
 * Review and approval: who generated the report, and each person who signed a decision on it with the
 * meaning of their signature, or that QA approval is still pending.
 */
export function approvals(doc: Doc, input: ExcursionReportInput): void {
  heading(doc, 'Review and approval');
  const signers = new Map<string, { name: string; meanings: Set<string>; last: number }>();
  for (const d of input.decisions) {
    const s = d.signature;
    const key = s.userId ?? s.printedName;
    const e = signers.get(key) ?? { name: s.printedName, meanings: new Set<string>(), last: 0 };
    e.meanings.add(`${d.decision} (${d.scope})`);
    e.last = Math.max(e.last, s.signedAt);
    signers.set(key, e);
  }
  const rows: string[][] = [
    [
      'Report generated',
      input.generatedBy ?? '(system)',
      fmtTime(input.generatedAt),
      'generated by coldtrace; not a signature',
    ],
    ...[...signers.values()].map((s) => [
      'QA decision (e-signed)',
      s.name,
      fmtTime(s.last),
      [...s.meanings].join('; '),
    ]),
  ];
  if (signers.size === 0) rows.push(['QA decision', 'pending', '–', 'no decision has been signed yet']);
  table(
    doc,
    [
      { title: 'Role', width: 100 },
      { title: 'Printed name', width: 110 },
      { title: 'Date and time', width: 110 },
      { title: 'What was signed', width: CONTENT_WIDTH - 320 },
    ],
    rows,
    '',
  );
}

/** Annex: the units' own lock entries, so the excerpt stays about the excursion. */
export function lockAnnex(doc: Doc, input: ExcursionReportInput): void {
  const entries = input.audit.filter((a) => a.unit);
  if (entries.length === 0) return;
  doc.addPage();
  heading(doc, 'Annex A — units locked and decided');
  table(
    doc,
    [
      { title: '#', width: 35, align: 'right' },
      { title: 'Time', width: 100 },
      { title: 'Unit', width: 150 },
      { title: 'Action', width: 80 },
      { title: 'Detail', width: CONTENT_WIDTH - 365 },
    ],
    entries.map((a) => [String(a.seq), fmtTime(a.at), a.unit ?? '', a.action, a.detail ?? '']),
    '',
  );
}
