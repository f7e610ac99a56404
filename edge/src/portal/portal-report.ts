import type { ReaderClockPolicy } from '../llrp/reader-clock.js';

/** What a portal shows in the gateway's `/metrics` (docs/llrp.md "Metrics"), read at scrape time. */
export interface PortalReport {
  portalId: string;
  readerId: string;
  /** The reader connector's counters since the portal started. */
  connector: {
    reports: number;
    tags: number;
    badTagReports: number;
    reconnects: number;
    protocolErrors: number;
    keepalives: number;
  };
  clock: {
    policy: ReaderClockPolicy;
    /** Reader − gateway (ms) as estimated now; undefined before the reader gave a time. */
    skewMs: number | undefined;
    /** Steps back of the reader's clock seen since the gateway started. */
    steps: number;
  };
}
