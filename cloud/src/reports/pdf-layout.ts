import type PDFDocument from 'pdfkit';
import { pdfText } from './pdf-text.js';

/** A PDFKit document. */
export type Doc = InstanceType<typeof PDFDocument>;

/** A4 portrait in PDF points (ISO 216: 210 × 297 mm). */
export const PAGE = { width: 595.28, height: 841.89, margin: 50 };
export const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
export interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

/** A section heading; never the last thing on a page. */
export function heading(doc: Doc, text: string): void {
  ensureSpace(doc, 110); // a heading never ends a page alone
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).fillColor('#000000');
  doc.text(pdfText(text), PAGE.margin, doc.y, { width: CONTENT_WIDTH });
  doc.moveDown(0.3).font('Helvetica').fontSize(9);
}

export function ensureSpace(doc: Doc, needed: number): void {
  if (doc.y + needed > PAGE.height - PAGE.margin - 20) doc.addPage();
}

/** A table with a header row repeated on each page it runs onto; `empty` when there are no rows. */
export function table(doc: Doc, columns: Column[], rows: string[][], empty: string): void {
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

/**
 * Writes a footer on every buffered page (`bufferPages: true`), e.g. "page i of n": centred at `y` from the
 * top, across `width` from `x`, in the bottom margin without adding a page.
 */
export function pageFooters(
  doc: Doc,
  text: (page: number, pages: number) => string,
  box: { x: number; y: number; width: number },
): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing into the margin must not add a page
    doc.font('Helvetica').fontSize(7.5).fillColor('#555555');
    doc.text(pdfText(text(i + 1, range.count)), box.x, box.y, {
      width: box.width,
      align: 'center',
      lineBreak: false,
    });
    doc.page.margins.bottom = bottom;
  }
}
