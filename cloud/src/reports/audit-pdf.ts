import PDFDocument from 'pdfkit';
import { type AuditExport, auditExportFacts, changesText } from './audit-export.js';
import { pageFooters } from './pdf-layout.js';
import { fmtTime, pdfText as winAnsi } from './pdf-text.js';

/** WinAnsi has no arrow (PDF 32000-1 Annex D.2): `→` is written `->`. */
const pdfText = (s: string) => winAnsi(s.replace(/→/g, '->'));

type Doc = InstanceType<typeof PDFDocument>;

/** A4 landscape in PDF points (ISO 216). */
const PAGE = { width: 841.89, height: 595.28, margin: 40 };
const WIDTH = PAGE.width - 2 * PAGE.margin;

/**
 * The audit export as PDF for a reviewer's file: what it covers (range, filters, chain head,
 * verification), then each entry in plain language with who, when (UTC), what changed, why and its hash;
 * "page i of n" on every page. Pure: the same input gives the same bytes.
 */
export async function renderAuditPdf(x: AuditExport): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: PAGE.margin,
    bufferPages: true,
    compress: true,
    info: {
      Title: 'Audit trail export',
      Author: 'coldtrace',
      Creator: `coldtrace ${x.version}`,
      Producer: `coldtrace ${x.version} (PDFKit)`,
      CreationDate: new Date(x.generatedAt),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc
    .font('Helvetica-Bold')
    .fontSize(16)
    .fillColor('#000000')
    .text('Audit trail export', PAGE.margin, PAGE.margin);
  doc.moveDown(0.4);
  for (const [label, text] of auditExportFacts(x)) {
    doc
      .font('Helvetica-Bold')
      .fontSize(9)
      .text(pdfText(`${label}: `), { continued: true, width: WIDTH });
    doc.font('Helvetica').text(pdfText(text), { width: WIDTH });
  }
  doc.moveDown(0.6);
  for (const e of x.entries) entry(doc, e);
  if (x.entries.length === 0) doc.font('Helvetica').fontSize(10).text('No entries match the filters.');

  pageFooters(doc, (i, n) => `Audit trail export — ${fmtTime(x.generatedAt)} — Page ${i} of ${n}`, {
    x: PAGE.margin,
    y: PAGE.height - 26,
    width: WIDTH,
  });
  doc.end();
  return done;
}

function entry(doc: Doc, e: AuditExport['entries'][number]): void {
  // Keep an entry's heading with its first lines: start a new page when fewer than ~4 lines are left.
  if (doc.y > PAGE.height - PAGE.margin - 48) doc.addPage();
  doc
    .moveTo(PAGE.margin, doc.y)
    .lineTo(PAGE.margin + WIDTH, doc.y)
    .lineWidth(0.5)
    .strokeColor('#cccccc')
    .stroke();
  doc.moveDown(0.2);
  const who = e.actorName === e.actor ? e.actor : `${e.actorName} (${e.actor})`;
  doc
    .font('Helvetica-Bold')
    .fontSize(9)
    .fillColor('#000000')
    .text(pdfText(`#${e.seq}  ${fmtTime(e.at)}  ${who}  ${e.action}`), PAGE.margin, doc.y, { width: WIDTH });
  doc.font('Helvetica').fontSize(9).text(pdfText(e.summary), { width: WIDTH });
  const changes = changesText(e.changes);
  if (changes) doc.fillColor('#333333').text(pdfText(`Changes: ${changes}`), { width: WIDTH });
  if (e.reason) doc.fillColor('#333333').text(pdfText(`Reason: ${e.reason}`), { width: WIDTH });
  doc.font('Courier').fontSize(7).fillColor('#666666').text(`SHA-256 ${e.hash}`, { width: WIDTH });
  doc.moveDown(0.3);
}
