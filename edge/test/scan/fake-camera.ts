import { writeFileSync } from 'node:fs';
import bwipjs from 'bwip-js/node';

/**
 * A video file for Chromium's fake camera (`--use-file-for-fake-video-capture`): a GS1 DataMatrix made by
 * bwip-js (BWIPP's encoder, `raw` gives its module matrix), black on white with a quiet zone, as Y4M
 * 4:2:0 frames (a `YUV4MPEG2` header, then per frame `FRAME\n`, the luma plane and two chroma planes at
 * 128: gray). Chromium plays the file in a loop, so the camera keeps showing the same label.
 */
export function writeDataMatrixY4m(
  file: string,
  text: string,
  opts: { modulePx?: number; quietModules?: number; frames?: number } = {},
): void {
  const modulePx = opts.modulePx ?? 6;
  const quiet = opts.quietModules ?? 6;
  const [symbol] = bwipjs.raw('gs1datamatrix', text, {});
  if (!symbol || !('pixs' in symbol)) throw new Error('bwip-js gave no module matrix');
  const { pixs, pixx, pixy } = symbol;
  // 4:2:0 chroma is subsampled 2x2: even dimensions.
  const even = (n: number) => n + (n % 2);
  const w = even((pixx + 2 * quiet) * modulePx);
  const h = even((pixy + 2 * quiet) * modulePx);
  const luma = Buffer.alloc(w * h, 235); // video white (BT.601 studio range)
  for (let y = 0; y < pixy; y++)
    for (let x = 0; x < pixx; x++) {
      if (!pixs[y * pixx + x]) continue;
      for (let dy = 0; dy < modulePx; dy++) {
        const row = ((quiet + y) * modulePx + dy) * w + (quiet + x) * modulePx;
        luma.fill(16, row, row + modulePx); // video black
      }
    }
  const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  const frames = Array.from({ length: opts.frames ?? 5 }, () => frame);
  writeFileSync(
    file,
    Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F5:1 Ip A1:1 C420jpeg\n`), ...frames]),
  );
}
