import net from 'node:net';
import { type ClockTimer, ColdtraceError, errorMessage, systemClock } from '@coldtrace/shared';
import type { TagRead } from '@coldtrace/shared/llrp';
import {
  ConnectionAttemptStatus,
  decodeBody,
  encodeMessage,
  encodeRoAccessReport,
  LLRP_HEADER_BYTES,
  LlrpFramer,
  type LlrpMessage,
  MessageType,
  message,
  ParamType,
  param,
  RESPONSE_OF,
  ROReportTrigger,
  readerEventNotification,
  StatusCode,
  statusParam,
} from '@coldtrace/shared/llrp';
import {
  crossingPath,
  type DoorGeometry,
  presentPath,
  prng,
  simulateReads,
  strayPath,
  type TagPath,
} from './population.js';
import {
  handleRequest,
  type ReaderContext,
  type RoSpec,
  undecodableRequestStatus,
} from './reader-requests.js';
import { ReportBuffer, type ReportPolicy } from './report-buffer.js';
import type { LlrpSimulator, LlrpSimulatorOptions } from './simulator-types.js';

export type { LlrpSimulator, LlrpSimulatorOptions, ScriptOptions } from './simulator-types.js';

/**
 * A TCP server that behaves like a fixed UHF reader speaking LLRP 1.0.1 (Impinj/Zebra behaviour):
 * ConnectionAttemptEvent on accept (§17.1.3), keepalives as configured by the client's KeepaliveSpec
 * (§16.2.6.9), a ROSpec state machine answering invalid requests with the proper LLRPStatus detail
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
    sentIds: [],
  };
  /** The reader's own clock: the injected clock plus an offset that tests set or step (`readerClock`). */
  let clockOffsetMs = opts.clockOffsetMs ?? 0;
  const readerNowUs = () => (clock.now() + clockOffsetMs) * 1000;
  const rospecs = new Map<number, RoSpec>();
  let client: net.Socket | null = null;
  let nextId = 1000;
  let keepaliveMs = defaultKeepaliveMs;
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
    defaultN: opts.reportEveryTags ?? 1,
    geo,
    reply: (msg) => send(sock, msg),
    armKeepalive,
    endRun: (r) => {
      if (r.state === 'active') reports.end(r.policy);
    },
    started: () => {
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

  const onConnection = (sock: net.Socket) => {
    stats.connections += 1;
    sock.setNoDelay(true);
    if (client && !client.destroyed) {
      // The newer connection wins; the old one learns it is closed (ConnectionCloseEvent).
      send(client, readerEventNotification(allocId(), readerNowUs(), param(ParamType.ConnectionCloseEvent)));
      client.destroy();
    }
    client = sock;
    deactivate();
    const framer = new LlrpFramer((frame, type, id) => {
      let req: LlrpMessage;
      try {
        req = decodeBody(type, id, frame.subarray(LLRP_HEADER_BYTES));
      } catch (err) {
        stats.errorsSent += 1;
        const status = undecodableRequestStatus(err);
        const rtype = RESPONSE_OF[type];
        send(sock, message(rtype ?? MessageType.ERROR_MESSAGE, id, {}, [status]));
        return;
      }
      handleRequest(contextFor(sock), req);
    });
    sock.on('data', (chunk: Buffer) => {
      if (sock !== client) return;
      try {
        framer.push(chunk);
      } catch (err) {
        const v = err instanceof ColdtraceError ? Number(err.details?.['version']) : 1;
        stats.errorsSent += 1;
        send(
          sock,
          message(MessageType.ERROR_MESSAGE, 0, {}, [
            statusParam(
              v !== 1 ? StatusCode.M_UnsupportedVersion : StatusCode.M_ParameterError,
              errorMessage(err).slice(0, 200),
            ),
          ]),
        );
        sock.end();
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (client === sock) {
        client = null;
        clock.clearInterval(keepaliveTimer);
        deactivate();
      }
    });
    // LLRP 1.0.1 §17.1.3: announce the outcome of the connection attempt first.
    send(
      sock,
      readerEventNotification(
        allocId(),
        readerNowUs(),
        param(ParamType.ConnectionAttemptEvent, { Status: ConnectionAttemptStatus.Success }),
      ),
    );
    armKeepalive();
  };

  const server = net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const periodTimer = periodMs > 0 ? clock.setInterval(partialFlush, periodMs) : undefined;

  const play = async (paths: TagPath[], durationMs: number): Promise<void> => {
    const start = clock.now();
    const reads = simulateReads(paths, durationMs, start, geo, rand);
    if (!realtime) {
      enqueue(reads);
      partialFlush();
      return;
    }
    let i = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        if (closed) return resolve(); // a closed reader reads nothing more
        const now = clock.now();
        const batch: TagRead[] = [];
        while (i < reads.length && reads[i]!.firstSeenUs! / 1000 <= now) batch.push(reads[i++]!);
        if (batch.length > 0) enqueue(batch);
        if (i >= reads.length && now - start >= durationMs) {
          partialFlush();
          resolve();
          return;
        }
        clock.setTimeout(tick, 20);
      };
      tick();
    });
  };

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
    pass(tags, o) {
      const d = o?.durationMs ?? 1500;
      return play(
        tags.map((t) => crossingPath(t.epc, t.direction, d, rand)),
        d,
      );
    },
    present(tags, o) {
      return play(
        tags.map((t) => presentPath(t.epc, t.side, rand)),
        o?.durationMs ?? 3000,
      );
    },
    stray(epcs, o) {
      return play(
        epcs.map((e) => strayPath(e, rand)),
        o?.durationMs ?? 3000,
      );
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
