import { ColdtraceError } from '../errors.js';
import { type AiSpec, aiAt, checkAiValue } from './gs1-ai.js';
import type { DateContext } from './gs1-date.js';

/** FNC1 as scanners transmit it in GS1 data: the ASCII group separator (GenSpecs §7.8.5.1). */
export const GS = '\u001d';

export interface Gs1Element {
  ai: string;
  value: string;
}

/**
 * Splits a GS1 element string (the data after the symbology identifier) into its elements. An element
 * of a predefined length (GenSpecs Figure 7.8.5-2) ends by its length; any other ends at FNC1 (GS) or
 * the end of the data. Every value is checked (`checkAiValue`). Throws `barcode_unknown_ai`,
 * `barcode_malformed`, `barcode_check_digit`, `barcode_invalid_date`.
 */
export function parseElementString(data: string, ctx: DateContext): Gs1Element[] {
  // A leading FNC1 (some scanners send the symbol's first FNC1 too) carries no data.
  let at = data.startsWith(GS) ? 1 : 0;
  if (at >= data.length) throw new ColdtraceError('barcode_malformed', 'the GS1 data is empty');
  const out: Gs1Element[] = [];
  while (at < data.length) {
    const spec = aiAt(data, at);
    if (!spec) {
      const ai = /^\d{2,4}/.exec(data.slice(at))?.[0] ?? data.slice(at, at + 4);
      throw new ColdtraceError(
        'barcode_unknown_ai',
        `unknown or unsupported GS1 Application Identifier at position ${at}: ${JSON.stringify(ai)}`,
        { at },
      );
    }
    at += spec.ai.length;
    const end = valueEnd(data, at, spec);
    const value = data.slice(at, end);
    out.push({ ai: spec.ai, value: checkAiValue(spec, value, ctx) });
    at = end;
    if (data[at] === GS) {
      at++;
      if (at === data.length) break; // a trailing FNC1 is tolerated
    } else if (at < data.length && !spec.predefined) {
      throw new ColdtraceError('barcode_malformed', `AI (${spec.ai}) must be followed by FNC1 or the end`, {
        ai: spec.ai,
      });
    }
  }
  return out;
}

function valueEnd(data: string, at: number, spec: AiSpec): number {
  if (spec.length !== undefined) {
    const end = at + spec.length;
    if (end > data.length || data.slice(at, end).includes(GS)) {
      throw new ColdtraceError('barcode_malformed', `AI (${spec.ai}) ${spec.title} is cut short`, {
        ai: spec.ai,
      });
    }
    return end;
  }
  const gs = data.indexOf(GS, at);
  return gs < 0 ? data.length : gs;
}

/**
 * The GS1 human-readable form `(01)09521234543213(10)ABC` (keyboard entry, printed text) as elements.
 * Parentheses inside values are not supported (they are rare and ambiguous in this form).
 */
export function parseBracketed(text: string, ctx: DateContext): Gs1Element[] {
  const re = /\((\d{2,4})\)([^()]*)/gy;
  const out: Gs1Element[] = [];
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    m = re.exec(text);
    if (!m)
      throw new ColdtraceError('barcode_malformed', `not a bracketed GS1 element string at position ${at}`);
    const spec = aiAt(m[1]!, 0);
    if (!spec || spec.ai !== m[1]) {
      throw new ColdtraceError(
        'barcode_unknown_ai',
        `unknown or unsupported GS1 Application Identifier (${m[1]})`,
      );
    }
    out.push({ ai: spec.ai, value: checkAiValue(spec, m[2]!, ctx) });
    at = re.lastIndex;
  }
  return out;
}

/** Elements as one GS1 element string: FNC1 after every non-predefined element but the last. */
export function encodeElementString(elements: readonly Gs1Element[]): string {
  return elements
    .map((e, i) => {
      const spec = aiAt(e.ai, 0);
      const sep = i < elements.length - 1 && !spec?.predefined ? GS : '';
      return `${e.ai}${e.value}${sep}`;
    })
    .join('');
}
