import net from 'node:net';
import {
  Backoff,
  type Clock,
  type ClockTimer,
  ColdtraceError,
  errorMessage,
  systemClock,
} from '@coldtrace/shared';
import {
  ConnectionAttemptStatus,
  decodeBody,
  decodeTagReports,
  encodeMessage,
  LLRP_HEADER_BYTES,
  LlrpFramer,
  type LlrpMessage,
  MessageType,
  message,
  messageName,
  RESPONSE_OF,
  type ReaderEvents,
  readerEventsOf,
  type TagRead,
} from '@coldtrace/shared/llrp';
import type { ReaderConnectorOptions, ReaderState } from './connector-options.js';
import {
  checkStatus,
  closingMessages,
  configureReader,
  connectionRefused,
  errorMessageError,
} from './reader-setup.js';

export type { ReaderConnectorOptions, ReaderState } from './connector-options.js';

interface Pending {
  expect: number;
  resolve(m: LlrpMessage): void;
  reject(e: Error): void;
  timer: ClockTimer;
}

/** `reconnect.healthyMs` by default: a connection up this long resets the backoff. */
export const DEFAULT_HEALTHY_MS = 30_000;

/**
 * LLRP reader client (LLRP 1.0.1 §18, §16.1): connect, wait for ConnectionAttemptEvent, read capabilities,
 * reset configuration, DELETE/ADD/ENABLE/START the ROSpec, answer keepalives, reconnect with backoff.
 * Nothing escapes as an exception: failures become state changes and `onProtocolError` calls.
 */
export class LlrpReaderConnector {
  private socket: net.Socket | null = null;
  private framer: LlrpFramer;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private stopped = true;
  private readonly backoff: Backoff;
  private reconnectTimer: ClockTimer | undefined;
  private connectTimer: ClockTimer | undefined;
  private watchdog: ClockTimer | undefined;
  private healthyTimer: ClockTimer | undefined;
  private attemptWaiter: { resolve(status: number): void; reject(err: Error): void } | null = null;
  private setupsInFlight = 0;
  private readonly clock: Clock;
  private _state: ReaderState = 'disconnected';
  private session = 0;
  /** Messages and RO_ACCESS_REPORTs received, reads delivered, reconnects, malformed tag reports skipped. */
  readonly stats = {
    messages: 0,
    reports: 0,
    tags: 0,
    reconnects: 0,
    keepalives: 0,
    errors: 0,
    badTagReports: 0,
  };
  /** Capabilities response of the last session. */
  capabilities: LlrpMessage | null = null;

  constructor(private readonly o: ReaderConnectorOptions) {
    this.clock = o.clock ?? systemClock;
    this.backoff = new Backoff(o.reconnect);
    this.framer = this.newFramer();
  }

  get state(): ReaderState {
    return this._state;
  }

  /** What is waiting on the reader: requests awaiting a response, connection setups in progress. */
  pendingState(): { requests: number; setups: number; awaitingAttemptEvent: boolean } {
    return {
      requests: this.pending.size,
      setups: this.setupsInFlight,
      awaitingAttemptEvent: this.attemptWaiter !== null,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /**
   * Closes cleanly with `closingMessages` (stop and delete our ROSpec, close the connection); each waits
   * for its response at most `responseTimeoutMs`, and a refusal does not stop the next.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.reconnectTimer);
    this.clock.clearTimeout(this.watchdog);
    this.clock.clearTimeout(this.healthyTimer);
    if (this.socket && this._state === 'connected') {
      for (const m of closingMessages(this.o.rospecId)) {
        if (!this.socket) break;
        try {
          checkStatus(await this.transact(m));
        } catch (err) {
          this.o.log?.debug(
            { err: errorMessage(err) },
            `llrp ${messageName(m.type)} on stop not acknowledged`,
          );
        }
      }
    }
    this.teardown('stopped');
    this.setState('disconnected');
  }

  /**
   * Sends a request and resolves with the response that echoes its message ID (LLRP 1.0.1 §16.1). A
   * reader that does not answer in `responseTimeoutMs` is treated as broken: the request fails with
   * llrp_timeout and the connection is closed and re-established.
   */
  transact(msg: LlrpMessage): Promise<LlrpMessage> {
    const sock = this.socket;
    if (!sock || sock.destroyed)
      return Promise.reject(new ColdtraceError('llrp_not_connected', 'not connected'));
    const id = this.allocId();
    const expect = RESPONSE_OF[msg.type];
    if (expect === undefined)
      return Promise.reject(new ColdtraceError('llrp_no_response', `${msg.type} has no response`));
    const session = this.session;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        const err = new ColdtraceError(
          'llrp_timeout',
          `${messageName(msg.type)} id ${id}: no response in ${this.o.responseTimeoutMs} ms`,
          { messageType: msg.type, messageId: id },
        );
        reject(err);
        this.fail(session, err);
      }, this.o.responseTimeoutMs);
      this.pending.set(id, { expect, resolve, reject, timer });
      sock.write(encodeMessage({ ...msg, id }));
    });
  }

  private allocId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    return id;
  }

  private newFramer(): LlrpFramer {
    const framerOpts =
      this.o.maxMessageBytes === undefined ? {} : { maxMessageBytes: this.o.maxMessageBytes };
    return new LlrpFramer((frame, type, id) => this.onFrame(frame, type, id), framerOpts);
  }

  private setState(state: ReaderState, error?: string): void {
    if (this._state === state && error === undefined) return;
    this._state = state;
    this.call(() => this.o.onState?.(state, error), 'onState');
  }

  /** Runs a listener; its exceptions are logged, never ours to propagate. */
  private call(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.o.log?.error({ err: errorMessage(err) }, `llrp ${what} listener threw`);
    }
  }

  private protocolError(err: unknown): void {
    this.stats.errors += 1;
    const e =
      err instanceof ColdtraceError
        ? err
        : new ColdtraceError('llrp_error', errorMessage(err), undefined, { cause: err });
    this.o.log?.warn({ code: e.code, err: e.message }, 'llrp protocol error');
    this.call(() => this.o.onProtocolError?.(e), 'onProtocolError');
  }

  private connect(): void {
    if (this.stopped) return;
    const session = ++this.session;
    this.setState('connecting');
    this.framer = this.newFramer();
    const sock = net.connect({ host: this.o.host, port: this.o.port });
    sock.setNoDelay(true);
    this.socket = sock;
    this.connectTimer = this.clock.setTimeout(() => {
      this.fail(
        session,
        new ColdtraceError('llrp_connect_timeout', `no connection within ${this.o.connectTimeoutMs} ms`),
      );
    }, this.o.connectTimeoutMs);
    sock.on('data', (chunk: Buffer) => {
      if (session !== this.session) return;
      try {
        this.framer.push(chunk);
      } catch (err) {
        // LLRP 1.0.1 §18.1: a stream out of sync cannot be trusted; close and reconnect.
        this.protocolError(err);
        this.fail(session, err);
      }
    });
    sock.on('error', (err) => this.fail(session, err));
    sock.on('close', () =>
      this.fail(session, new ColdtraceError('llrp_closed', 'connection closed by reader')),
    );
    sock.on('connect', () => {
      this.setup(session).catch((err) => this.fail(session, err));
    });
  }

  private async setup(session: number): Promise<void> {
    this.setupsInFlight += 1;
    try {
      // LLRP 1.0.1 §18.1, §16.2.7.6.10: the reader reports ConnectionAttemptEvent before anything else. The wait
      // is rejected by teardown if the connection dies first, so no attempt leaves a promise behind.
      const status = await new Promise<number>((resolve, reject) => {
        this.attemptWaiter = { resolve, reject };
      });
      this.clock.clearTimeout(this.connectTimer);
      if (session !== this.session) return;
      // LLRP 1.0.1 §16.2.7.6.10: a refused attempt sends nothing; retry later.
      if (status !== ConnectionAttemptStatus.Success) throw connectionRefused(status);
      await configureReader(
        this.o,
        (m) => this.transact(m),
        (caps) => {
          this.capabilities = caps;
        },
      );
      if (session !== this.session) return;
      this.armHealthy(session);
      this.armWatchdog();
      this.setState('connected');
      this.o.log?.info({ host: this.o.host, port: this.o.port }, 'llrp reader connected');
    } finally {
      this.setupsInFlight -= 1;
    }
  }

  /** The backoff starts over only once the connection has stayed up `reconnect.healthyMs`. */
  private armHealthy(session: number): void {
    this.clock.clearTimeout(this.healthyTimer);
    const ms = this.o.reconnect.healthyMs ?? DEFAULT_HEALTHY_MS;
    if (ms <= 0) {
      this.backoff.succeed();
      return;
    }
    this.healthyTimer = this.clock.setTimeout(() => {
      if (session === this.session) this.backoff.succeed();
    }, ms);
  }

  private armWatchdog(): void {
    this.clock.clearTimeout(this.watchdog);
    if (this.o.keepaliveMs <= 0 || this.stopped) return;
    const session = this.session;
    const ms = this.o.keepaliveMs * (this.o.keepaliveMissFactor ?? 3);
    this.watchdog = this.clock.setTimeout(() => {
      this.fail(session, new ColdtraceError('llrp_keepalive_timeout', `no message from reader for ${ms} ms`));
    }, ms);
  }

  private onFrame(frame: Buffer, type: number, id: number): void {
    this.stats.messages += 1;
    if (this._state === 'connected') this.armWatchdog();
    if (this.o.onMessage) this.call(() => this.o.onMessage?.(type, id), 'onMessage');
    try {
      if (type === MessageType.RO_ACCESS_REPORT) {
        this.onReport(frame);
        return;
      }
      if (type === MessageType.KEEPALIVE) {
        // LLRP 1.0.1 §16.1.31-32: answer with KEEPALIVE_ACK carrying the same message ID.
        this.stats.keepalives += 1;
        this.socket?.write(encodeMessage(message(MessageType.KEEPALIVE_ACK, id)));
        return;
      }
      const msg = decodeBody(type, id, frame.subarray(LLRP_HEADER_BYTES));
      for (const e of msg.errors ?? []) this.protocolError(e);
      if (type === MessageType.READER_EVENT_NOTIFICATION) {
        this.onEvents(readerEventsOf(msg));
        return;
      }
      const p = this.pending.get(id);
      if (p && (type === p.expect || type === MessageType.ERROR_MESSAGE)) {
        this.pending.delete(id);
        this.clock.clearTimeout(p.timer);
        if (type === MessageType.ERROR_MESSAGE) p.reject(errorMessageError(msg));
        else p.resolve(msg);
        return;
      }
      if (type === MessageType.ERROR_MESSAGE) this.protocolError(errorMessageError(msg));
      else this.o.log?.debug({ type, id }, 'llrp unsolicited message ignored');
    } catch (err) {
      // A well-framed message with a bad body: report it and go on with the next one (stream is in sync).
      this.protocolError(err);
    }
  }

  /**
   * RO_ACCESS_REPORT (LLRP 1.0.1 §16.1.30): a malformed TagReportData inside an intact TLV framing is
   * skipped and reported; the well-formed reads of the same message are delivered.
   */
  private onReport(frame: Buffer): void {
    const reads: TagRead[] = [];
    const bad: ColdtraceError[] = [];
    this.stats.reports += 1;
    decodeTagReports(frame, LLRP_HEADER_BYTES, frame.byteLength, reads, bad);
    for (const e of bad) {
      this.stats.badTagReports += 1;
      this.protocolError(e);
    }
    this.stats.tags += reads.length;
    if (reads.length > 0) this.o.onTags(reads);
  }

  /** LLRP 1.0.1 §16.2.7.6: the events enabled by `CONNECTOR_EVENTS`, plus connection events. */
  private onEvents(ev: ReaderEvents): void {
    if (ev.connectionAttempt !== undefined && this.attemptWaiter) {
      const w = this.attemptWaiter;
      this.attemptWaiter = null;
      w.resolve(ev.connectionAttempt);
    }
    const log = this.o.log;
    if (ev.connectionClose) log?.info('llrp reader announced ConnectionCloseEvent');
    if (ev.exception !== undefined) log?.warn({ exception: ev.exception }, 'llrp reader exception event');
    if (ev.antenna) log?.warn({ antenna: ev.antenna }, 'llrp antenna event');
    if (ev.rospec) log?.debug({ rospec: ev.rospec }, 'llrp ROSpec event');
    if (ev.bufferWarningPercent !== undefined || ev.bufferOverflow) {
      log?.warn(
        { percent: ev.bufferWarningPercent, overflow: ev.bufferOverflow },
        'llrp report buffer event',
      );
    }
    this.call(() => this.o.onReaderEvent?.(ev), 'onReaderEvent');
  }

  private fail(session: number, err: unknown): void {
    if (session !== this.session) return;
    this.session += 1; // invalidate this session's callbacks
    const reason = errorMessage(err);
    this.teardown(reason);
    if (this.stopped) return;
    this.setState('error', reason.slice(0, 500));
    const delayMs = this.backoff.fail();
    this.o.log?.warn({ err: reason, retryInMs: delayMs }, 'llrp reader connection failed');
    this.stats.reconnects += 1;
    this.call(() => this.o.onRetry?.({ attempt: this.backoff.failures, delayMs, error: reason }), 'onRetry');
    this.reconnectTimer = this.clock.setTimeout(() => this.connect(), delayMs);
  }

  private teardown(reason: string): void {
    this.clock.clearTimeout(this.watchdog);
    this.clock.clearTimeout(this.healthyTimer);
    this.clock.clearTimeout(this.connectTimer);
    const waiter = this.attemptWaiter;
    this.attemptWaiter = null;
    waiter?.reject(new ColdtraceError('llrp_closed', `no ConnectionAttemptEvent: ${reason}`));
    for (const [id, p] of this.pending) {
      this.clock.clearTimeout(p.timer);
      p.reject(new ColdtraceError('llrp_closed', `request ${id} aborted: ${reason}`));
    }
    this.pending.clear();
    const sock = this.socket;
    this.socket = null;
    if (sock) {
      sock.removeAllListeners('data');
      sock.on('error', () => {});
      sock.end();
      sock.destroy();
    }
    this.framer.reset();
  }
}
