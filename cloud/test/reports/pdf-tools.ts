import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when poppler-utils (`pdftotext`, `pdftoppm`; Debian `poppler-utils`) are installed. */
export function hasPoppler(): boolean {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    execFileSync('pdftoppm', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function withFile<T>(pdf: Buffer, fn: (dir: string, file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-pdf-'));
  try {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, pdf);
    return fn(dir, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The PDF's text in reading layout (`pdftotext -layout`). */
export function pdfToText(pdf: Buffer): string {
  return withFile(pdf, (_dir, file) =>
    execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }),
  );
}

export interface Gray {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Renders one page as 8-bit grey (`pdftoppm -gray` writes binary PGM, Netpbm P5). */
export function renderPageGray(pdf: Buffer, page: number, dpi: number): Gray {
  return withFile(pdf, (dir, file) => {
    execFileSync('pdftoppm', [
      '-gray',
      '-r',
      String(dpi),
      '-f',
      String(page),
      '-l',
      String(page),
      '-singlefile',
      file,
      join(dir, 'p'),
    ]);
    return parsePgm(readFileSync(join(dir, 'p.pgm')));
  });
}

/** Netpbm PGM P5: "P5" width height maxval, each separated by whitespace (comments start with #). */
export function parsePgm(buf: Buffer): Gray {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
      if (buf[pos] === 0x23) while (buf[pos] !== 0x0a) pos++;
      else break;
    }
    const start = pos;
    while (!/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    return buf.subarray(start, pos).toString('ascii');
  };
  if (token() !== 'P5') throw new Error('not a binary PGM');
  const width = Number(token());
  const height = Number(token());
  const max = Number(token());
  if (max > 255) throw new Error('16-bit PGM not supported');
  pos++; // one whitespace byte after maxval
  return { width, height, pixels: buf.subarray(pos, pos + width * height) };
}

/** Fraction of pixels darker than `threshold` inside a rectangle given in PDF points. */
export function inkRatio(
  img: Gray,
  dpi: number,
  box: { x: number; y: number; width: number; height: number },
  threshold = 240,
): number {
  const s = dpi / 72;
  const x0 = Math.floor(box.x * s);
  const y0 = Math.floor(box.y * s);
  const x1 = Math.min(img.width, Math.ceil((box.x + box.width) * s));
  const y1 = Math.min(img.height, Math.ceil((box.y + box.height) * s));
  let ink = 0;
  let total = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      total++;
      if (img.pixels[y * img.width + x]! < threshold) ink++;
    }
  }
  return total ? ink / total : 0;
}
