import type { ErrorCode } from './error-codes.js';

/**
 * An error with a stable machine-readable code from the registry (`error-codes.ts`); caught only at
 * boundaries (per message, per module, HTTP).
 */
export class ColdtraceError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ColdtraceError';
    this.code = code;
    this.details = details;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
