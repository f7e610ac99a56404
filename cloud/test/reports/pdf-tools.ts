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
export function pdfToText(pdf: Buffer, opts: { layout?: boolean } = {}): string {
  // Without layout: the text in the order it was drawn (a wrapped table heading stays in one piece).
  const mode = opts.layout === false ? '-raw' : '-layout';
  return withFile(pdf, (_dir, file) => execFileSync('pdftotext', [mode, file, '-'], { encoding: 'utf8' }));
}

/** A rendered page: `pixels` row by row, 3 bytes (R, G, B) per pixel. */
export interface Rgb {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Binary Netpbm PPM (P6): "P6" width height maxval, whitespace-separated (comments start with #). */
function parsePpm(buf: Buffer): Rgb {
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
  if (token() !== 'P6') throw new Error('not a binary PPM');
  const width = Number(token());
  const height = Number(token());
  const max = Number(token());
  if (max > 255) throw new Error('16-bit Netpbm not supported');
  pos++; // one whitespace byte after maxval
  return { width, height, pixels: buf.subarray(pos, pos + width * height * 3) };
}

/** Renders one page in colour (`pdftoppm` writes binary PPM, Netpbm P6), anti-aliased as a viewer would. */
export function renderPageRgb(pdf: Buffer, page: number, dpi: number): Rgb {
  return withFile(pdf, (dir, file) => {
    execFileSync('pdftoppm', [
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
    return parsePpm(readFileSync(join(dir, 'p.ppm')));
  });
}

/** `#rrggbb` → [r, g, b]. */
export function hexRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.replace(/^#/, ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * How much of `colour` the pixel at (x, y) shows when painted over white: the opacity `alpha` (0…1) that
 * best explains it (least squares over the channels) and the worst channel error of that explanation.
 * A pixel fully inside a stroke of that colour gives alpha ≈ 1, error ≈ 0; an anti-aliased edge a lower
 * alpha; a pixel of another colour a large error.
 */
export function colourMatch(img: Rgb, x: number, y: number, colour: [number, number, number]) {
  const i = (Math.round(y) * img.width + Math.round(x)) * 3;
  const p = [img.pixels[i]!, img.pixels[i + 1]!, img.pixels[i + 2]!];
  const d = colour.map((c) => 255 - c);
  const alpha = p.reduce((s, v, k) => s + (255 - v) * d[k]!, 0) / d.reduce((s, v) => s + v * v, 0) || 0;
  const error = Math.max(...p.map((v, k) => Math.abs(255 - alpha * d[k]! - v)));
  return { alpha, error };
}
