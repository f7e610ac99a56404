// Test helpers other workspaces' tests use (`@coldtrace/shared/testing`).

export { freePort } from './free-port.js';
export {
  type Capture,
  type DissectedMessage,
  dissectCapture,
  fieldValues,
  malformedFrames,
  startCapture,
  tlvParams,
  tsharkUnavailable,
} from './llrp/tshark-capture.js';
export { tempFiles } from './temp-files.js';
export { createTestPki, type IssuedCertificate, type TestPki } from './tls/test-certificates.js';
export { until } from './until.js';
export { repoRoot, TEST_VECTORS, vectorsDir } from './vectors-dir.js';
