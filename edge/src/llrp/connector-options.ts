import type { Clock, ColdtraceError } from '@coldtrace/shared';
import type { ReaderEvents, TagRead } from '@coldtrace/shared/llrp';
import type { Logger } from 'pino';
import type { RadioSettings } from './radio-plan.js';

/** Options and states of the LLRP reader connector (`connector.ts`). */
export type ReaderState = 'connecting' | 'connected' | 'disconnected' | 'error';

export interface ReaderConnectorOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** Keepalive period asked of the reader (KeepaliveSpec); 0 disables keepalives and their watchdog. */
  keepaliveMs: number;
  /** The connection is considered dead after this many keepalive periods without any message. */
  keepaliveMissFactor?: number;
  /** A request unanswered for this long fails with llrp_timeout and the connection is recycled. */
  responseTimeoutMs: number;
  reconnect: {
    initialMs: number;
    maxMs: number;
    /**
     * A connection that stays up this long resets the backoff (default 30 s; 0: as soon as the setup
     * succeeds). A reader that fails soon after each setup is retried ever more slowly.
     */
    healthyMs?: number;
  };
  /** Send SET_READER_CONFIG with ResetToFactoryDefault (default true); false keeps the reader's own tuning. */
  factoryReset?: boolean;
  rospecId: number;
  /** Antennas in the AISpec; [] = all. */
  antennas: number[];
  reportEveryTags: number;
  /**
   * Radio settings sent in the ROSpec, checked against the reader's capabilities at each connect (a
   * setting the reader cannot do fails the setup with llrp_radio_config); absent: the reader's own.
   */
  radio?: RadioSettings;
  maxMessageBytes?: number;
  clock?: Clock;
  log?: Logger;
  onTags(reads: TagRead[]): void;
  onState?(state: ReaderState, error?: string): void;
  /** A message that could not be decoded or a protocol error; never thrown. */
  onProtocolError?(err: ColdtraceError): void;
  /** Events the reader reported (ROSpec, antenna, buffer, exception, connection). */
  onReaderEvent?(ev: ReaderEvents): void;
  /** Every message received, in order (diagnostics; capture tests compare it with the wire). */
  onMessage?(type: number, id: number): void;
  /** A reconnect was scheduled: consecutive failure count, the backoff delay and why. */
  onRetry?(info: { attempt: number; delayMs: number; error: string }): void;
}
