import { z } from 'zod';

/**
 * Identifiers that appear in MQTT topics (gateway ids) or in records (sensor, location, portal ids).
 * They may not contain MQTT topic separators or wildcards (MQTT 3.1.1 §4.7.1), nor whitespace.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 . _ : - and start with a letter or digit');

/** Epoch milliseconds UTC; the wire carries no other time format. Bounded to years 2000..2200. */
export const epochMsSchema = z
  .number()
  .int('must be whole epoch milliseconds')
  .min(946_684_800_000, 'must be epoch milliseconds after 2000-01-01')
  .max(7_258_118_400_000, 'must be epoch milliseconds before 2200-01-01');

/** A per-gateway, per-stream sequence number: starts at 1, increases by one, never reused. */
export const seqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
