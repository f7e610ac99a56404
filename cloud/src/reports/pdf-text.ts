/**
 * The PDF's standard fonts (Helvetica) use WinAnsiEncoding (PDF 32000-1:2008 Annex D.2): characters
 * outside it cannot be shown, so they are replaced by `?` instead of producing garbage glyphs.
 * Typographic punctuation that WinAnsi has (– — ‘ ’ “ ” • … €) is kept; arrows and comparison signs are
 * spelled out (`->`, `<=`).
 */
const WIN_ANSI_EXTRA = new Set([...'€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ']);
/** Signs the texts use that WinAnsi lacks, written the way a typewriter would (`before → after`). */
const TRANSLITERATED: Record<string, string> = { '→': '->', '←': '<-', '≤': '<=', '≥': '>=', '≠': '!=' };

export function pdfText(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFC')) {
    const c = ch.codePointAt(0)!;
    if (c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(ch))
      out += ch;
    else if (c === 0x09) out += ' ';
    else out += TRANSLITERATED[ch] ?? '?';
  }
  return out;
}

/** `2025-03-10 08:55:00 UTC` */
export function fmtTime(ts: number): string {
  return `${new Date(ts).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `2 h 05 min`, `45 min 10 s`, `12 s` */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h ${String(m).padStart(2, '0')} min`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

export function fmtTemp(c: number | null | undefined, digits = 1): string {
  return c === null || c === undefined || !Number.isFinite(c) ? '–' : `${c.toFixed(digits)} °C`;
}
