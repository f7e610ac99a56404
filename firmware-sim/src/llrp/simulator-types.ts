import type { Clock } from '@coldtrace/shared';
import type { ImpinjSearchModeName } from '@coldtrace/shared/llrp';

/** Options and handle of the LLRP reader simulator (`simulator.ts`). */
export interface LlrpSimulatorOptions {
  /** 0 (default) = ephemeral. */
  port?: number;
  host?: string;
  /**
   * Keepalive period before any client configures one; a client's KeepaliveSpec (SET_READER_CONFIG)
   * replaces it, as on a real reader, and a factory reset restores it. 0 (default) = none.
   */
  keepaliveMs?: number;
  /** ROReportSpec N of a ROSpec that brings no ROReportSpec (trigger Upon_N_Tags_Or_End_Of_ROSpec). */
  reportEveryTags?: number;
  /**
   * Simulator extension: with a count trigger (N > 0), fewer than N held reads are reported after this
   * period (default 100 ms; 0 = never, strictly LLRP 1.0.1). N = 0 and trigger None are never affected.
   */
  reportPeriodMs?: number;
  clock?: Clock;
  /** The reader's clock minus `clock` (ms), e.g. a reader that lost its time; default 0. */
  clockOffsetMs?: number;
  seed?: number;
  /**
   * GeneralDeviceCapabilities.DeviceManufacturerName, an IANA Private Enterprise Number: 25882 (Impinj,
   * the default) accepts Impinj's ImpinjInventorySearchMode; any other refuses every Custom parameter.
   */
  manufacturer?: number;
  outsideAntennas?: number[];
  insideAntennas?: number[];
  /** false: scripted reads are sent at once (timestamps still spread over the script). */
  realtime?: boolean;
  readCycleMs?: number;
  rssiSigmaDb?: number;
}

export interface ScriptOptions {
  durationMs?: number;
}

export interface LlrpSimulator {
  readonly port: number;
  close(): Promise<void>;
  pass(tags: { epc: string; direction: 'in' | 'out' }[], opts?: ScriptOptions): Promise<void>;
  present(tags: { epc: string; side: 'outside' | 'inside' }[], opts?: ScriptOptions): Promise<void>;
  stray(epcs: string[], opts?: ScriptOptions): Promise<void>;
  /**
   * The reader's own clock, which stamps tag reads and events (UTCTimestamp): `clock` plus `offsetMs`.
   * `set` puts it at an epoch time, `step` moves it (negative: back), as a reader losing or correcting
   * its time does.
   */
  readerClock: { readonly offsetMs: number; set(epochMs: number): void; step(deltaMs: number): void };
  /**
   * The radio settings of the running ROSpec as the reader applied them, per antenna ID (transmit power
   * in dBm, Impinj search mode); null while no ROSpec runs.
   */
  appliedRadio(): {
    txPowerDbm: ReadonlyMap<number, number>;
    searchMode: ReadonlyMap<number, ImpinjSearchModeName>;
  } | null;
  /** Resolves once a client has started a ROSpec. */
  waitActive(timeoutMs?: number): Promise<void>;
  inject: {
    drop(): void;
    stall(ms: number): void;
    garbage(bytes: number | Uint8Array): void;
    /**
     * Answers every later request of `messageType` with its response carrying LLRPStatus `code` (e.g.
     * M_FieldError, R_DeviceError) and `description`, changing nothing on the reader, as a reader that
     * refuses the step (LLRP 1.0.1 §16.2.8.1); counted in `errorsSent`. Until `accept(messageType)`.
     */
    refuse(messageType: number, code: number, description?: string): void;
    accept(messageType: number): void;
  };
  stats: {
    connections: number;
    reportsSent: number;
    tagsReported: number;
    /** Scripted reads not reported because no ROSpec was active. */
    readsDropped: number;
    keepalivesSent: number;
    keepaliveAcks: number;
    errorsSent: number;
    /** Connections refused because a client was connected (ConnectionAttemptEvent status 2). */
    refusedConnections: number;
    /** Message IDs the simulator sent, in order (for capture tests). */
    sentIds: number[];
  };
}
