/**
 * Splits a scanner's byte stream into codes: each ends at the configured suffix (default CR, LF or
 * CR LF) and loses the configured prefix when it starts with it. Empty lines (a CR LF pair, a
 * trigger pull that read nothing) are dropped. A line longer than `maxLength` is cut off and reported
 * as `overlong` so a scanner that never sends its suffix cannot grow memory.
 */
export interface ScanFramer {
  push(chunk: string): Array<{ line: string } | { overlong: number }>;
}

export function createScanFramer(o: {
  prefix: string;
  suffix?: string | undefined;
  maxLength: number;
}): ScanFramer {
  let buf = '';
  let dropping = 0;
  const split = o.suffix === undefined ? /\r\n|\r|\n/ : undefined;
  const next = (): { at: number; len: number } | null => {
    if (split) {
      const m = split.exec(buf);
      return m ? { at: m.index, len: m[0].length } : null;
    }
    const at = buf.indexOf(o.suffix!);
    return at < 0 ? null : { at, len: o.suffix!.length };
  };
  return {
    push(chunk) {
      buf += chunk;
      const out: Array<{ line: string } | { overlong: number }> = [];
      for (let end = next(); end; end = next()) {
        let line = buf.slice(0, end.at);
        buf = buf.slice(end.at + end.len);
        if (dropping > 0) {
          out.push({ overlong: dropping + line.length });
          dropping = 0;
          continue;
        }
        if (o.prefix && line.startsWith(o.prefix)) line = line.slice(o.prefix.length);
        if (line.length > o.maxLength) out.push({ overlong: line.length });
        else if (line.length > 0) out.push({ line });
      }
      if (buf.length > o.maxLength) {
        dropping += buf.length;
        buf = '';
      }
      return out;
    },
  };
}
