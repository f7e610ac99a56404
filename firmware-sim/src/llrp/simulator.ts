import net from 'node:net';
import { type ClockTimer, ColdtraceError, systemClock } from '@coldtrace/shared';
import type { TagRead } from '@coldtrace/shared/llrp';
import {
  ConnectionAttemptStatus,
  encodeMessage,
  encodeRoAccessReport,
  IMPINJ_VENDOR_ID,
  type LlrpMessage,
  MessageType,
  message,
  NotificationEventType,
  ParamType,
  param,
  RESPONSE_OF,
  ROReportTrigger,
  ROSpecEventType,
  readerEventNotification,
  statusParam,
} from '@coldtrace/shared/llrp';
import { type DoorGeometry, prng } from './population.js';
import { handleRequest, type ReaderContext, type RoSpec } from './reader-requests.js';
import { ReportBuffer, type ReportPolicy } from './report-buffer.js';
import { readRequests } from './request-stream.js';
import { scriptPlayer } from './script-player.js';
import type { LlrpSimulator, LlrpSimulatorOptions } from './simulator-types.js';

export type { LlrpSimulator, LlrpSimulatorOptions, ScriptOptions } from './simulator-types.js';

/**
 * A TCP server that behaves like a fixed UHF reader speaking LLRP 1.0.1 (Impinj/Zebra behaviour):
 * ConnectionAttemptEvent on accept (§17.1.3), keepalives as configured by the client's KeepaliveSpec
 * (§16.2.6.9), requests read by `request-stream.ts`, a ROSpec state machine answering invalid requests with the proper LLRPStatus detail
 * (`reader-requests.ts`), RO_ACCESS_REPORTs as the ROSpec's ROReportSpec says (`report-buffer.ts`), and
 * fault injection.
 */
export async function startLlrpSimulator(opts: LlrpSimulatorOptions = {}): Promise<LlrpSimulator> {
  const clock = opts.clock ?? systemClock;
  const rand = prng(opts.seed ?? 1);
  const geo: DoorGeometry = {
    outsideAntennas: opts.outsideAntennas ?? [1, 2],
    insideAntennas: opts.insideAntennas ?? [3, 4],
    readCycleMs: opts.readCycleMs ?? 40,
    rssiSigmaDb: opts.rssiSigmaDb ?? 2,
  };
  const realtime = opts.realtime ?? true;
  const manufacturer = opts.manufacturer ?? IMPINJ_VENDOR_ID;
  const defaultKeepaliveMs = opts.keepaliveMs ?? 0;
  const periodMs = opts.reportPeriodMs ?? 100;
  const stats: LlrpSimulator['stats'] = {
    connections: 0,
    reportsSent: 0,
    tagsReported: 0,
    readsDropped: 0,
    keepalivesSent: 0,
    keepaliveAcks: 0,
    errorsSent: 0,
    refusedConnections: 0,
    sentIds: [],
  };
  /** The reader's own clock: the injected clock plus an offset that tests set or step (`readerClock`). */
  let clockOffsetMs = opts.clockOffsetMs ?? 0;
  const readerNowUs = () => (clock.now() + clockOffsetMs) * 1000;
  const rospecs = new Map<number, RoSpec>();
  /** Reader event types the client switched on (factory default: none). */
  const events = new Map<number, boolean>();
  let client: net.Socket | null = null;
  let nextId = 1000;
  let keepaliveMs = defaultKeepaliveMs;
  /** IMPINJ_ENABLE_EXTENSIONS received on this connection (an Impinj reader's state per connection). */
  let impinjExtensions = false;
  let keepaliveTimer: ClockTimer | undefined;
  let stalledUntil = 0;
  /** Output held during a stall, each bound to the connection it was meant for. */
  let stallQueue: { sock: net.Socket; buf: Buffer }[] = [];
  let closed = false;
  let activeWaiters: { resolve(): void; reject(e: Error): void; timer: ClockTimer }[] = [];
  /** The ROReportSpec of the reads held in `reports` (kept after the ROSpec stops, for GET_REPORT). */
  let heldPolicy: ReportPolicy = {
    trigger: ROReportTrigger.UponNTagsOrEndOfROSpec,
    n: opts.reportEveryTags ?? 1,
  };

  const write = (sock: net.Socket | null, buf: Buffer): boolean => {
    if (!sock || sock.destroyed) return false;
    if (clock.now() < stalledUntil) stallQueue.push({ sock, buf });
    else sock.write(buf);
    return true;
  };
  const send = (sock: net.Socket | null, msg: LlrpMessage) => {
    if (write(sock, encodeMessage(msg))) stats.sentIds.push(msg.id);
  };
  const allocId = () => {
    nextId = nextId >= 0xffffffff ? 1 : nextId + 1;
    return nextId;
  };
  /** Message types answered with an error status instead of being handled (`inject.refuse`). */
  const refusals = new Map<number, { code: number; description: string }>();
  const active = () => [...rospecs.values()].find((r) => r.state === 'active');

  const reports = new ReportBuffer((batches) => {
    if (!client || client.destroyed) {
      for (const b of batches) stats.readsDropped += b.length;
      return;
    }
    const parts: Buffer[] = [];
    for (const b of batches) {
      const id = allocId();
      stats.sentIds.push(id);
      parts.push(encodeRoAccessReport(id, b));
      stats.reportsSent += 1;
      stats.tagsReported += b.length;
    }
    write(client, Buffer.concat(parts));
  });

  const armKeepalive = () => {
    clock.clearInterval(keepaliveTimer);
    keepaliveTimer = undefined;
    if (keepaliveMs > 0 && client) {
      keepaliveTimer = clock.setInterval(() => {
        if (clock.now() < stalledUntil) return; // a stalled reader sends nothing
        stats.keepalivesSent += 1;
        send(client, message(MessageType.KEEPALIVE, allocId()));
      }, keepaliveMs);
    }
  };

  const enqueue = (reads: TagRead[]) => {
    const spec = active();
    if (!spec || !client) {
      stats.readsDropped += reads.length;
      return;
    }
    const ants = spec.antennas;
    // Reads are scripted on the injected clock; the reader stamps them with its own.
    const shiftUs = clockOffsetMs * 1000;
    const mine: TagRead[] = [];
    for (const r of reads) {
      if (ants.includes(0) || (r.antennaId !== null && ants.includes(r.antennaId))) {
        mine.push({
          ...r,
          rospecId: spec.id,
          firstSeenUs: r.firstSeenUs === null ? null : r.firstSeenUs + shiftUs,
          lastSeenUs: r.lastSeenUs === null ? null : r.lastSeenUs + shiftUs,
        });
      }
    }
    heldPolicy = spec.policy;
    reports.add(mine, spec.policy);
  };
  const partialFlush = () => {
    const spec = active();
    if (spec && periodMs > 0) reports.partial(spec.policy);
  };

  /** LLRP 1.0.1 §16.2.7.6.3 ROSpecEvent, only when the client enabled it (§16.2.7.5.1). */
  const rospecEvent = (sock: net.Socket, r: RoSpec, eventType: number, preemptedBy = 0) => {
    if (events.get(NotificationEventType.ROSpecEvent) !== true) return;
    const p = param(ParamType.ROSpecEvent, {
      EventType: eventType,
      ROSpecID: r.id,
      PreemptingROSpecID: preemptedBy,
    });
    send(sock, readerEventNotification(allocId(), readerNowUs(), p));
  };

  /** The session's view of the reader for one connection (see `ReaderContext`). */
  const contextFor = (sock: net.Socket): ReaderContext => ({
    rospecs,
    get keepaliveMs() {
      return keepaliveMs;
    },
    set keepaliveMs(ms: number) {
      keepaliveMs = ms;
    },
    defaultKeepaliveMs,
    get impinjExtensions() {
      return impinjExtensions;
    },
    set impinjExtensions(on: boolean) {
      impinjExtensions = on;
    },
    defaultN: opts.reportEveryTags ?? 1,
    geo,
    manufacturer,
    reply: (msg) => send(sock, msg),
    armKeepalive,
    events,
    endRun: (r, preemptedBy) => {
      if (r.state !== 'active') return;
      reports.end(r.policy);
      const E = ROSpecEventType;
      rospecEvent(sock, r, preemptedBy === undefined ? E.EndOfROSpec : E.PreemptionOfROSpec, preemptedBy);
    },
    started: (r) => {
      rospecEvent(sock, r, ROSpecEventType.StartOfROSpec);
      for (const w of activeWaiters) {
        clock.clearTimeout(w.timer);
        w.resolve();
      }
      activeWaiters = [];
    },
    getReport: () => reports.flush(heldPolicy),
    closeConnection: () => sock.end(),
    countError: () => {
      stats.errorsSent += 1;
    },
    keepaliveAcked: () => {
      stats.keepaliveAcks += 1;
    },
  });

  const deactivate = () => {
    for (const r of rospecs.values()) if (r.state === 'active') r.state = 'inactive';
    reports.clear();
  };

  /** LLRP 1.0.1 §16.2.7.6.10: the first message on every connection says whether it was accepted. */
  const attemptEvent = (status: number) =>
    readerEventNotification(
      allocId(),
      readerNowUs(),
      param(ParamType.ConnectionAttemptEvent, { Status: status }),
    );

  /** A client whose end of the stream has been read (it closed) or whose socket is gone is no client. */
  const clientConnected = () => client !== null && !client.destroyed && !client.readableEnded;

  const release = (sock: net.Socket) => {
    if (client !== sock) return;
    client = null;
    clock.clearInterval(keepaliveTimer);
    deactivate();
  };

  /**
   * One client at a time, as a reader (LLRP 1.0.1 §16.2.7.6.10, §18.1): a second connection is told
   * "Failed (a Client initiated connection already exists)" and closed; the first keeps its session.
   */
  const refuse = (sock: net.Socket) => {
    stats.refusedConnections += 1;
    const msg = attemptEvent(ConnectionAttemptStatus.FailedClientInitiatedExists);
    stats.sentIds.push(msg.id);
    sock.end(encodeMessage(msg));
  };

  const accept = (sock: net.Socket) => {
    stats.connections += 1;
    client = sock;
    deactivate();
    // LLRP 1.0.1 §16.1.38: SET_READER_CONFIG values hold for the connection; a new one starts from defaults.
    events.clear();
    impinjExtensions = false;
    readRequests(sock, {
      current: () => sock === client,
      send: (msg) => send(sock, msg),
      countError: () => {
        stats.errorsSent += 1;
      },
      onRequest: (req) => {
        const refusal = refusals.get(req.type);
        const type = RESPONSE_OF[req.type];
        if (!refusal || type === undefined) return handleRequest(contextFor(sock), req);
        stats.errorsSent += 1;
        send(sock, message(type, req.id, {}, [statusParam(refusal.code, refusal.description)]));
      },
    });
    sock.on('end', () => release(sock));
    sock.on('close', () => release(sock));
    send(sock, attemptEvent(ConnectionAttemptStatus.Success));
    armKeepalive();
  };

  const onConnection = (sock: net.Socket) => {
    sock.setNoDelay(true);
    sock.on('error', () => {});
    // A client that has just closed may have its end of stream read in this same turn of the event
    // loop: decide after it, so a reconnect is not refused in favour of the connection it replaces.
    setImmediate(() => {
      if (closed) sock.destroy();
      else if (sock.destroyed) return;
      else if (clientConnected()) refuse(sock);
      else accept(sock);
    });
  };

  const server = net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const periodTimer = periodMs > 0 ? clock.setInterval(partialFlush, periodMs) : undefined;

  const scripts = scriptPlayer({
    clock,
    geo: () => ({ ...geo, txPowerDbm: active()?.txPowerDbm ?? new Map() }),
    rand,
    realtime,
    closed: () => closed,
    enqueue,
    partialFlush,
  });

  return {
    port,
    stats,
    readerClock: {
      get offsetMs() {
        return clockOffsetMs;
      },
      set(epochMs) {
        clockOffsetMs = epochMs - clock.now();
      },
      step(deltaMs) {
        clockOffsetMs += deltaMs;
      },
    },
    async close() {
      closed = true;
      clock.clearInterval(periodTimer);
      clock.clearInterval(keepaliveTimer);
      for (const w of activeWaiters) {
        clock.clearTimeout(w.timer);
        w.reject(new ColdtraceError('sim_closed', 'simulator closed before a ROSpec started'));
      }
      activeWaiters = [];
      client?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    ...scripts,
    appliedRadio() {
      const r = active();
      return r ? { txPowerDbm: new Map(r.txPowerDbm), searchMode: new Map(r.searchMode) } : null;
    },
    waitActive(timeoutMs = 10_000) {
      if (active() && client) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = {
          resolve,
          reject,
          timer: clock.setTimeout(() => {
            activeWaiters = activeWaiters.filter((x) => x !== w);
            reject(new ColdtraceError('sim_timeout', 'no ROSpec started'));
          }, timeoutMs),
        };
        activeWaiters.push(w);
      });
    },
    inject: {
      drop() {
        client?.destroy();
      },
      stall(ms) {
        const until = clock.now() + ms;
        stalledUntil = Math.max(stalledUntil, until);
        clock.setTimeout(() => {
          if (until < stalledUntil) return; // a longer stall is still on; its end flushes
          const q = stallQueue;
          stallQueue = [];
          // Output goes to the connection it was produced for, never to a client that connected since.
          for (const { sock, buf } of q) if (!sock.destroyed) sock.write(buf);
        }, ms);
      },
      refuse(messageType, code, description = 'refused by inject.refuse') {
        refusals.set(messageType, { code, description });
      },
      accept(messageType) {
        refusals.delete(messageType);
      },
      garbage(bytes) {
        const buf =
          typeof bytes === 'number'
            ? Buffer.from(Array.from({ length: bytes }, () => Math.floor(rand() * 256)))
            : bytes;
        if (client && !client.destroyed) client.write(buf);
      },
    },
  };
}
