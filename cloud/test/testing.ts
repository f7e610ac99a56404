// Test helpers other workspaces' tests use (`@coldtrace/cloud/testing`).
export { epcisErrors } from './epcis/epcis-schema.js';
export { bearer } from './helpers/auth.js';
export {
  type BrowserSession,
  browserMissing,
  launchBrowser,
  logIn,
  screenshot,
  watchErrors,
} from './pages/browser.js';
