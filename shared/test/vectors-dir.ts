import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is `<root>/shared/test/vectors-dir.ts`). */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The independent test vectors (real-reader LLRP captures, GS1 EPC TDS values, the GS1 EPCIS 2.0 schema
 * and examples). They are not part of this repository: they live read-only beside it, in
 * `../shared/vectors/`; `COLDTRACE_VECTORS_DIR` points elsewhere. A missing folder is an error that says
 * where it looked, never a skipped test.
 */
export function vectorsDir(...sub: string[]): string {
  const base = process.env.COLDTRACE_VECTORS_DIR ?? resolve(repoRoot, '..', 'shared', 'vectors');
  const dir = join(base, ...sub);
  if (!existsSync(dir)) {
    throw new Error(
      `test vectors not found at ${dir}: clone the repository beside the shared/ folder that holds ` +
        'vectors/ (../shared/vectors), or set COLDTRACE_VECTORS_DIR',
    );
  }
  return dir;
}
