import { ColdtraceError } from '../errors.js';
import { aiSpec, checkAiValue } from './gs1-ai.js';
import type { DateContext } from './gs1-date.js';
import type { Gs1Element } from './gs1-element-string.js';

/**
 * Primary keys coldtrace reads from a GS1 Digital Link URI, with their key qualifiers in the order the
 * GS1 Digital Link URI Syntax standard gives them (1.2 §4.4: 01 → 22 → 10 → 21, or 01 → 235 alone).
 */
const KEY_QUALIFIERS: Record<string, readonly string[]> = { '01': ['22', '10', '21'], '00': [] };
const ALT_QUALIFIER: Record<string, string> = { '01': '235' };
/** The other primary keys of the standard: a URI keyed by one is valid, but identifies no trade item. */
const OTHER_KEYS = new Set([
  '253',
  '255',
  '401',
  '402',
  '414',
  '417',
  '8003',
  '8004',
  '8006',
  '8010',
  '8013',
  '8017',
  '8018',
]);

/** Only an all-lower or all-upper scheme (the standard's URI syntax; mixed case is refused). */
export function isDigitalLink(text: string): boolean {
  return /^(?:https?|HTTPS?):\/\//.test(text);
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ColdtraceError(
      'barcode_malformed',
      `bad percent-encoding in the Digital Link ${what}: ${part}`,
    );
  }
}

/**
 * The elements of a GS1 Digital Link URI (`https://id.gs1.org/01/{gtin}/10/{lot}/21/{serial}?17=…`,
 * any domain and path prefix): the rightmost primary key in the path with its qualifiers, then the
 * numeric query parameters (data attributes). Other query parameters (e.g. `linkType`) and the
 * fragment are ignored. Throws `barcode_malformed`, `barcode_unknown_ai`, `barcode_unsupported` (a key
 * other than GTIN or SSCC), or a value's own error.
 */
export function parseDigitalLink(uri: string, ctx: DateContext): Gs1Element[] {
  const m = /^(?:https?|HTTPS?):\/\/([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?(?:#.*)?$/.exec(uri);
  if (!m?.[2])
    throw new ColdtraceError('barcode_malformed', 'not a GS1 Digital Link URI: no domain or no path');
  if (!/^[A-Za-z0-9.\-:[\]]+$/.test(m[1]!)) {
    throw new ColdtraceError(
      'barcode_malformed',
      `the Digital Link domain ${JSON.stringify(m[1])} has a bad character`,
    );
  }
  if (/[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/.test(uri)) {
    throw new ColdtraceError('barcode_malformed', 'the Digital Link URI has characters a URI cannot carry');
  }
  const segments = m[2].split('/').slice(1);
  let keyAt = -1;
  // Path elements pair up from the end (AI, value): a value that reads like an AI (lot "253") is never
  // taken for one (GS1 Digital Link URI Syntax 1.2: the path's AI/value pairs are read from the right).
  for (let i = segments.length - 2; i >= 0; i -= 2) {
    const s = segments[i]!;
    if (Object.hasOwn(KEY_QUALIFIERS, s) || OTHER_KEYS.has(s)) {
      keyAt = i;
      break;
    }
  }
  if (keyAt < 0)
    throw new ColdtraceError('barcode_malformed', 'the Digital Link URI has no primary key in its path');
  const key = segments[keyAt]!;
  if (!Object.hasOwn(KEY_QUALIFIERS, key)) {
    throw new ColdtraceError(
      'barcode_unsupported',
      `Digital Link key (${key}) identifies no trade item or logistic unit`,
    );
  }
  const pathParts = segments.slice(keyAt);
  if (pathParts.length % 2 !== 0) {
    throw new ColdtraceError(
      'barcode_malformed',
      'the Digital Link path has an AI without a value (or ends in "/")',
    );
  }
  const chain = KEY_QUALIFIERS[key]!;
  const out: Gs1Element[] = [];
  let last = -1;
  let alternative = false;
  for (let i = 0; i < pathParts.length; i += 2) {
    const ai = pathParts[i]!;
    if (i > 0) {
      const q = chain.indexOf(ai);
      if (ai === ALT_QUALIFIER[key] && i === 2 && pathParts.length === 4) alternative = true;
      else if (q < 0 || q <= last) {
        throw new ColdtraceError(
          'barcode_malformed',
          `(${ai}) is not a key qualifier of (${key}) at this place in the path`,
        );
      } else last = q;
    }
    const value = decode(pathParts[i + 1]!, `path value of AI (${ai})`);
    out.push({ ai, value: checkAiValue(aiSpec(ai)!, value, ctx) });
  }
  for (const pair of m[3] ? m[3].split('&') : []) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue; // an empty or value-less parameter carries no AI
    const name = pair.slice(0, eq);
    if (!/^\d+$/.test(name)) continue; // not an AI: a resolver parameter such as linkType
    const spec = aiSpec(name);
    if (!spec)
      throw new ColdtraceError(
        'barcode_unknown_ai',
        `unknown or unsupported GS1 Application Identifier (${name})`,
      );
    if (!alternative && (chain.includes(name) || name === ALT_QUALIFIER[key])) {
      throw new ColdtraceError(
        'barcode_malformed',
        `AI (${name}) belongs in the Digital Link path, not the query`,
      );
    }
    if (out.some((e) => e.ai === name)) {
      throw new ColdtraceError('barcode_malformed', `AI (${name}) appears twice in the Digital Link URI`);
    }
    const raw = pair.slice(eq + 1);
    if (raw.includes('+')) {
      throw new ColdtraceError(
        'barcode_malformed',
        `the query value of AI (${name}) has "+": write it as %2B`,
      );
    }
    out.push({ ai: name, value: checkAiValue(spec, decode(raw, `query value of AI (${name})`), ctx) });
  }
  return out;
}

/** Characters left unescaped in a path segment or query value: RFC 3986 unreserved. */
const encode = (v: string) =>
  encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Elements as a Digital Link URI under `stem` (default `https://id.gs1.org`): the key and its qualifiers
 * in the path, everything else in the query.
 */
export function encodeDigitalLink(elements: readonly Gs1Element[], stem = 'https://id.gs1.org'): string {
  const key = elements.find((e) => Object.hasOwn(KEY_QUALIFIERS, e.ai));
  if (!key) throw new ColdtraceError('barcode_malformed', 'a Digital Link needs a GTIN (01) or SSCC (00)');
  const path = [key, ...KEY_QUALIFIERS[key.ai]!.flatMap((q) => elements.filter((e) => e.ai === q))];
  const query = elements.filter((e) => !path.includes(e));
  const p = path.map((e) => `/${e.ai}/${encode(e.value)}`).join('');
  const q = query.map((e) => `${e.ai}=${encode(e.value)}`).join('&');
  return `${stem}${p}${q ? `?${q}` : ''}`;
}
