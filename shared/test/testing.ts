// Test helpers other workspaces' tests use (`@coldtrace/shared/testing`).
export { until } from './until.js';
export { repoRoot, TEST_VECTORS, vectorsDir } from './vectors-dir.js';
