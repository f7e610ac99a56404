import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is `<root>/shared/test/vectors-dir.ts`). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `<root>/test-vectors`: the independent vectors, copied into the repository with their provenance. */
export const TEST_VECTORS = join(repoRoot, 'test-vectors');

/**
 * A folder of the independent test vectors (real-reader LLRP captures, GS1 EPC TDS values, the GS1
 * EPCIS 2.0 schema and examples; see `test-vectors/README.md`). A missing folder is an error, never a
 * skipped test.
 */
export function vectorsDir(...sub: string[]): string {
  const dir = join(TEST_VECTORS, ...sub);
  if (!existsSync(dir))
    throw new Error(`test vectors not found at ${dir}: test-vectors/ is part of the repository`);
  return dir;
}
