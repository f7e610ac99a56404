import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vectorsDir } from '@coldtrace/shared/testing';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** The GS1 EPCIS 2.0 schema and examples in test-vectors/epcis. */
export const EPCIS_VECTORS = vectorsDir('epcis');
export const EPCIS_EXAMPLES = join(EPCIS_VECTORS, 'examples');

let validate: ValidateFunction | undefined;

/** The official GS1 EPCIS 2.0 JSON schema (draft-07), compiled with ajv 8 + ajv-formats. */
export function epcisValidator(): ValidateFunction {
  if (validate) return validate;
  const schema = JSON.parse(readFileSync(join(EPCIS_VECTORS, 'EPCIS-JSON-Schema.json'), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  validate = ajv.compile(schema);
  return validate;
}

/** Validates a document; returns the schema errors as readable lines (empty = valid). */
export function epcisErrors(doc: unknown): string[] {
  const v = epcisValidator();
  if (v(doc)) return [];
  return (v.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`,
  );
}

export function officialExamples(): Array<{ name: string; doc: unknown }> {
  return readdirSync(EPCIS_EXAMPLES)
    .filter((f) => f.endsWith('.jsonld'))
    .sort()
    .map((name) => ({ name, doc: JSON.parse(readFileSync(join(EPCIS_EXAMPLES, name), 'utf8')) }));
}
