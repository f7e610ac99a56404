import net from 'node:net';
import { type Clock, type ClockTimer, ColdtraceError, errorMessage, systemClock } from '@coldtrace/shared';
import type { Logger } from 'pino';
import { decodeBody, encodeMessage, type LlrpMessage } from './codec.js';
import { LLRP_HEADER_BYTES, MessageType, RESPONSE_OF, StatusCode } from './constants.js';
import { LlrpFramer } from './framer.js';
import { buildROSpec, buildSetReaderConfig, message, readerEventsOf, statusOf } from './messages.js';
import { messageName } from './schema.js';
import { decodeTagReports, type TagRead } from './tag-report.js';

export type ReaderState = 'connecting' | 'connected' | 'disconnected' | 'error';

export interface ReaderConnectorOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** Keepalive period asked of the reader (KeepaliveSpec); 0 disables keepalives and their watchdog. */
  keepaliveMs: number;
  /** The connection is considered dead after this many keepalive periods without any message. */
  keepaliveMissFactor?: number;
  responseTimeoutMs: number;
  reconnect: { initialMs: number; maxMs: number };
  rospecId: number;
  /** Antennas in the AISpec; [] = all. */
  antennas: number[];
  reportEveryTags: number;
  maxMessageBytes?: number;
  clock?: Clock;
  log?: Logger;
  onTags(reads: TagRead[]): void;
  onState?(state: ReaderState, error?: string): void;
  /** A message that could not be decoded or a protocol error; never thrown. */
  onProtocolError?(err: ColdtraceError): void;
}

interface Pending {
  expect: number;
  resolve(m: LlrpMessage): void;
  reject(e: Error): void;
  timer: ClockTimer;
}

/**
 * LLRP reader client (LLRP 1.0.1 §17, §16.1): connect, wait for ConnectionAttemptEvent, read capabilities,
 * reset configuration, DELETE/ADD/ENABLE/START the ROSpec, answer keepalives, reconnect with backoff.
 * Nothing escapes as an exception: failures become state changes and `onProtocolError` calls.
 */
export class LlrpReaderConnector {
  private socket: net.Socket | null = null;
  private framer: LlrpFramer;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private stopped = true;
  private backoffMs: number;
  private reconnectTimer: ClockTimer | undefined;
  private watchdog: ClockTimer | undefined;
  private attemptWaiter: ((status: number) => void) | null = null;
  private readonly clock: Clock;
  private _state: ReaderState = 'disconnected';
  private session = 0;
  /** Reads delivered, messages received, reconnects: for status and tests. */
  readonly stats = { messages: 0, tags: 0, reconnects: 0, keepalives: 0, errors: 0 };
  /** Capabilities response of the last session. */
  capabilities: LlrpMessage | null = null;

  constructor(private readonly o: ReaderConnectorOptions) {
    this.clock = o.clock ?? systemClock;
    this.backoffMs = o.reconnect.initialMs;
    this.framer = this.newFramer();
  }

  get state(): ReaderState {
    return this._state;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Closes cleanly: CLOSE_CONNECTION, wait for its response (bounded), then end the socket. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.reconnectTimer);
    this.clock.clearTimeout(this.watchdog);
    const sock = this.socket;
    if (sock && this._state === 'connected') {
      try {
        await this.transact(message(MessageType.CLOSE_CONNECTION, 0));
      } catch (err) {
        this.o.log?.debug({ err: errorMessage(err) }, 'llrp close_connection not acknowledged');
      }
    }
    this.teardown('stopped');
    this.setState('disconnected');
  }

  /** Sends a request and resolves with the response that echoes its message ID (LLRP 1.0.1 §16.1). */
  transact(msg: LlrpMessage): Promise<LlrpMessage> {
    const sock = this.socket;
    if (!sock || sock.destroyed)
      return Promise.reject(new ColdtraceError('LLRP_NOT_CONNECTED', 'not connected'));
    const id = this.allocId();
    const expect = RESPONSE_OF[msg.type];
    if (expect === undefined)
      return Promise.reject(new ColdtraceError('LLRP_NO_RESPONSE', `${msg.type} has no response`));
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new ColdtraceError('LLRP_TIMEOUT', `${messageName(msg.type)} id ${id}: no response in time`));
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
    try {
      this.o.onState?.(state, error);
    } catch (err) {
      this.o.log?.error({ err: errorMessage(err) }, 'llrp onState listener threw');
    }
  }

  private protocolError(err: unknown): void {
    this.stats.errors += 1;
    const e =
      err instanceof ColdtraceError
        ? err
        : new ColdtraceError('LLRP_ERROR', errorMessage(err), undefined, { cause: err });
    this.o.log?.warn({ code: e.code, err: e.message }, 'llrp protocol error');
    try {
      this.o.onProtocolError?.(e);
    } catch {
      // listener errors are not ours to propagate
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const session = ++this.session;
    this.setState('connecting');
    this.framer = this.newFramer();
    const sock = net.connect({ host: this.o.host, port: this.o.port });
    sock.setNoDelay(true);
    this.socket = sock;
    const connectTimer = this.clock.setTimeout(() => {
      this.fail(
        session,
        new ColdtraceError('LLRP_CONNECT_TIMEOUT', `no connection within ${this.o.connectTimeoutMs} ms`),
      );
    }, this.o.connectTimeoutMs);
    sock.on('data', (chunk: Buffer) => {
      if (session !== this.session) return;
      try {
        this.framer.push(chunk);
      } catch (err) {
        // LLRP 1.0.1 §17.1: a stream out of sync cannot be trusted; close and reconnect.
        this.protocolError(err);
        this.fail(session, err);
      }
    });
    sock.on('error', (err) => this.fail(session, err));
    sock.on('close', () =>
      this.fail(session, new ColdtraceError('LLRP_CLOSED', 'connection closed by reader')),
    );
    sock.on('connect', () => {
      this.setup(session, connectTimer).catch((err) => this.fail(session, err));
    });
  }

  private async setup(session: number, connectTimer: ClockTimer): Promise<void> {
    // LLRP 1.0.1 §17.1.3: the reader reports ConnectionAttemptEvent before anything else.
    const status = await new Promise<number>((resolve) => {
      this.attemptWaiter = resolve;
    });
    this.clock.clearTimeout(connectTimer);
    if (session !== this.session) return;
    if (status !== 0)
      throw new ColdtraceError('LLRP_CONNECTION_REFUSED', `ConnectionAttemptEvent status ${status}`);
    const caps = await this.transact(message(MessageType.GET_READER_CAPABILITIES, 0, { RequestedData: 0 }));
    this.check(caps);
    this.capabilities = caps;
    this.check(await this.transact(buildSetReaderConfig(0, this.o.keepaliveMs)));
    // Delete all ROSpecs (ID 0), LLRP 1.0.1 §16.1.8; then install ours.
    this.check(await this.transact(message(MessageType.DELETE_ROSPEC, 0, { ROSpecID: 0 })));
    const spec = buildROSpec({
      rospecId: this.o.rospecId,
      antennas: this.o.antennas,
      reportEveryTags: this.o.reportEveryTags,
    });
    this.check(await this.transact(message(MessageType.ADD_ROSPEC, 0, {}, [spec])));
    this.check(await this.transact(message(MessageType.ENABLE_ROSPEC, 0, { ROSpecID: this.o.rospecId })));
    this.check(await this.transact(message(MessageType.START_ROSPEC, 0, { ROSpecID: this.o.rospecId })));
    if (session !== this.session) return;
    this.backoffMs = this.o.reconnect.initialMs;
    this.armWatchdog();
    this.setState('connected');
    this.o.log?.info({ host: this.o.host, port: this.o.port }, 'llrp reader connected');
  }

  private check(resp: LlrpMessage): void {
    const s = statusOf(resp);
    if (s.code !== StatusCode.M_Success) {
      throw new ColdtraceError(
        'LLRP_STATUS',
        `${messageName(resp.type)}: status ${s.code} ${s.description}`,
        {
          status: s,
        },
      );
    }
  }

  private armWatchdog(): void {
    this.clock.clearTimeout(this.watchdog);
    if (this.o.keepaliveMs <= 0 || this.stopped) return;
    const session = this.session;
    const ms = this.o.keepaliveMs * (this.o.keepaliveMissFactor ?? 3);
    this.watchdog = this.clock.setTimeout(() => {
      this.fail(session, new ColdtraceError('LLRP_KEEPALIVE_TIMEOUT', `no message from reader for ${ms} ms`));
    }, ms);
  }

  private onFrame(frame: Buffer, type: number, id: number): void {
    this.stats.messages += 1;
    if (this._state === 'connected') this.armWatchdog();
    try {
      if (type === MessageType.RO_ACCESS_REPORT) {
        const reads: TagRead[] = [];
        decodeTagReports(frame, LLRP_HEADER_BYTES, frame.byteLength, reads);
        this.stats.tags += reads.length;
        if (reads.length > 0) this.o.onTags(reads);
        return;
      }
      if (type === MessageType.KEEPALIVE) {
        // LLRP 1.0.1 §16.1.25: answer with KEEPALIVE_ACK carrying the same message ID.
        this.stats.keepalives += 1;
        this.socket?.write(encodeMessage(message(MessageType.KEEPALIVE_ACK, id)));
        return;
      }
      const msg = decodeBody(type, id, frame.subarray(LLRP_HEADER_BYTES));
      if (type === MessageType.READER_EVENT_NOTIFICATION) {
        const ev = readerEventsOf(msg);
        if (ev.connectionAttempt !== undefined && this.attemptWaiter) {
          const w = this.attemptWaiter;
          this.attemptWaiter = null;
          w(ev.connectionAttempt);
        }
        if (ev.connectionClose) this.o.log?.info('llrp reader announced ConnectionCloseEvent');
        if (ev.exception) this.o.log?.warn({ exception: ev.exception }, 'llrp reader exception event');
        return;
      }
      const p = this.pending.get(id);
      if (p && (type === p.expect || type === MessageType.ERROR_MESSAGE)) {
        this.pending.delete(id);
        this.clock.clearTimeout(p.timer);
        if (type === MessageType.ERROR_MESSAGE) {
          const s = statusOf(msg);
          p.reject(
            new ColdtraceError('LLRP_ERROR_MESSAGE', `reader ERROR_MESSAGE ${s.code}: ${s.description}`),
          );
        } else p.resolve(msg);
        return;
      }
      if (type === MessageType.ERROR_MESSAGE) {
        const s = statusOf(msg);
        this.protocolError(
          new ColdtraceError('LLRP_ERROR_MESSAGE', `reader ERROR_MESSAGE ${s.code}: ${s.description}`),
        );
        return;
      }
      this.o.log?.debug({ type, id }, 'llrp unsolicited message ignored');
    } catch (err) {
      // A well-framed message with a bad body: report it and go on with the next one (stream is in sync).
      this.protocolError(err);
    } finally {
      void frame;
    }
  }

  private fail(session: number, err: unknown): void {
    if (session !== this.session) return;
    this.session += 1; // invalidate this session's callbacks
    const reason = errorMessage(err);
    this.teardown(reason);
    if (this.stopped) return;
    this.setState('error', reason.slice(0, 500));
    this.o.log?.warn({ err: reason, retryInMs: this.backoffMs }, 'llrp reader connection failed');
    this.stats.reconnects += 1;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.o.reconnect.maxMs, this.backoffMs * 2);
    this.reconnectTimer = this.clock.setTimeout(() => this.connect(), wait);
  }

  private teardown(reason: string): void {
    this.clock.clearTimeout(this.watchdog);
    this.attemptWaiter = null;
    for (const [id, p] of this.pending) {
      this.clock.clearTimeout(p.timer);
      p.reject(new ColdtraceError('LLRP_CLOSED', `request ${id} aborted: ${reason}`));
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
