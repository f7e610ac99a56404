import { expect } from 'vitest';
import { ColdtraceError } from '../../src/errors.js';

/** The declared code `f` throws (failing the test when it throws anything else, or nothing). */
export function errorCodeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ColdtraceError);
    return (err as ColdtraceError).code;
  }
  throw new Error('expected an error');
}
