import net from 'node:net';
import {
  decodeBody,
  encodeMessage,
  findParam,
  type LlrpMessage,
  type LlrpParam,
  param,
} from '@coldtrace/edge/llrp/codec';
import {
  ConnectionAttemptStatus,
  LLRP_HEADER_BYTES,
  MessageType,
  ParamType,
  RESPONSE_OF,
  StatusCode,
} from '@coldtrace/edge/llrp/constants';
import { LlrpFramer } from '@coldtrace/edge/llrp/framer';
import {
  encodeRoAccessReport,
  message,
  readerEventNotification,
  statusParam,
} from '@coldtrace/edge/llrp/messages';
import type { TagRead } from '@coldtrace/edge/llrp/tag-report';
import { type Clock, type ClockTimer, ColdtraceError, errorMessage, systemClock } from '@coldtrace/shared';
import {
  crossingPath,
  type DoorGeometry,
  presentPath,
  prng,
  simulateReads,
  strayPath,
  type TagPath,
} from './population.js';

export interface LlrpSimulatorOptions {
  /** 0 (default) = ephemeral. */
  port?: number;
  host?: string;
  /** Keepalive period used unless the client configures one with SET_READER_CONFIG. */
  keepaliveMs?: number;
  /** Report every N tag reads unless the ROSpec's ROReportSpec says otherwise. */
  reportEveryTags?: number;
  /** Reads pending less than N are reported after this period. */
  reportPeriodMs?: number;
  clock?: Clock;
  seed?: number;
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

type RoState = 'disabled' | 'inactive' | 'active';
interface RoSpec {
  id: number;
  state: RoState;
  antennas: number[];
  n: number;
  spec: LlrpParam;
}

export interface LlrpSimulator {
  readonly port: number;
  close(): Promise<void>;
  pass(tags: { epc: string; direction: 'in' | 'out' }[], opts?: ScriptOptions): Promise<void>;
  present(tags: { epc: string; side: 'outside' | 'inside' }[], opts?: ScriptOptions): Promise<void>;
  stray(epcs: string[], opts?: ScriptOptions): Promise<void>;
  /** Resolves once a client has started a ROSpec. */
  waitActive(timeoutMs?: number): Promise<void>;
  inject: { drop(): void; stall(ms: number): void; garbage(bytes: number | Uint8Array): void };
  stats: {
    connections: number;
    reportsSent: number;
    tagsReported: number;
    /** Scripted reads not reported because no ROSpec was active. */
    readsDropped: number;
    keepalivesSent: number;
    keepaliveAcks: number;
    errorsSent: number;
    /** Message IDs the simulator sent, in order (for capture tests). */
    sentIds: number[];
  };
}

/**
 * A TCP server that behaves like a fixed UHF reader speaking LLRP 1.0.1 (Impinj/Zebra behaviour):
 * ConnectionAttemptEvent on accept (§17.1.3), keepalives (§16.2.6.9), a ROSpec state machine
 * (§16.1.4-§16.1.10: Disabled → Inactive → Active) answering invalid requests with the proper LLRPStatus,
 * RO_ACCESS_REPORTs per N tags or per period, and fault injection.
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
  const defaultN = opts.reportEveryTags ?? 1;
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
  const rospecs = new Map<number, RoSpec>();
  let client: net.Socket | null = null;
  let nextId = 1000;
  let keepaliveMs = opts.keepaliveMs ?? 0;
  let keepaliveTimer: ClockTimer | undefined;
  let periodTimer: ClockTimer | undefined;
  let stalledUntil = 0;
  let stallQueue: Buffer[] = [];
  let queue: TagRead[] = [];
  let activeWaiters: (() => void)[] = [];

  const send = (sock: net.Socket | null, msg: LlrpMessage | Buffer) => {
    if (!sock || sock.destroyed) return;
    const buf = Buffer.isBuffer(msg) ? msg : encodeMessage(msg);
    if (!Buffer.isBuffer(msg)) stats.sentIds.push(msg.id);
    if (clock.now() < stalledUntil) stallQueue.push(buf);
    else sock.write(buf);
  };
  const allocId = () => {
    nextId = nextId >= 0xffffffff ? 1 : nextId + 1;
    return nextId;
  };
  const active = () => [...rospecs.values()].find((r) => r.state === 'active');

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

  const flush = (all: boolean) => {
    const spec = active();
    if (!spec || !client || queue.length === 0) return;
    const n = spec.n > 0 ? spec.n : queue.length;
    const parts: Buffer[] = [];
    while (queue.length >= n || (all && queue.length > 0)) {
      const chunk = queue.splice(0, n);
      const id = allocId();
      stats.sentIds.push(id);
      parts.push(encodeRoAccessReport(id, chunk));
      stats.reportsSent += 1;
      stats.tagsReported += chunk.length;
    }
    if (parts.length > 0) send(client, Buffer.concat(parts));
  };

  const enqueue = (reads: TagRead[]) => {
    const spec = active();
    if (!spec) {
      stats.readsDropped += reads.length;
      return;
    }
    const ants = spec.antennas;
    for (const r of reads) {
      if (ants.includes(0) || (r.antennaId !== null && ants.includes(r.antennaId))) {
        queue.push({ ...r, rospecId: spec.id });
      }
    }
    flush(false);
  };

  const status = (code: number, description = '', extra?: LlrpParam[]) =>
    statusParam(code, description, extra);
  const respond = (req: LlrpMessage, code: number, description = '', params: LlrpParam[] = []) => {
    const type = RESPONSE_OF[req.type];
    if (type === undefined) return;
    if (code !== StatusCode.M_Success) stats.errorsSent += 1;
    send(client, message(type, req.id, {}, [status(code, description), ...params]));
  };
  const errorMessageTo = (sock: net.Socket, id: number, code: number, description: string) => {
    stats.errorsSent += 1;
    send(sock, message(MessageType.ERROR_MESSAGE, id, {}, [status(code, description)]));
  };

  const targets = (id: number): RoSpec[] | null => {
    if (id === 0) return [...rospecs.values()];
    const r = rospecs.get(id);
    return r ? [r] : null;
  };

  const handle = (sock: net.Socket, req: LlrpMessage) => {
    const id = Number(req.fields['ROSpecID'] ?? 0);
    switch (req.type) {
      case MessageType.GET_READER_CAPABILITIES:
        return respond(req, 0, '', capabilities(geo));
      case MessageType.GET_READER_CONFIG:
        return respond(req, 0, '', [
          param(ParamType.Identification, { IDType: 0, ReaderID: Buffer.from('c01d7ace05', 'hex') }),
          param(ParamType.KeepaliveSpec, {
            KeepaliveTriggerType: keepaliveMs > 0 ? 1 : 0,
            PeriodicTriggerValue: keepaliveMs,
          }),
        ]);
      case MessageType.SET_READER_CONFIG: {
        if (req.fields['ResetToFactoryDefault'] === true) {
          rospecs.clear();
          keepaliveMs = opts.keepaliveMs ?? 0;
        }
        const ka = findParam(req.params, ParamType.KeepaliveSpec);
        if (ka) {
          const type = Number(ka.fields['KeepaliveTriggerType']);
          if (type > 1) return respond(req, StatusCode.M_FieldError, 'KeepaliveTriggerType must be 0 or 1');
          keepaliveMs = opts.keepaliveMs ?? (type === 1 ? Number(ka.fields['PeriodicTriggerValue']) : 0);
        }
        armKeepalive();
        return respond(req, 0);
      }
      case MessageType.ADD_ROSPEC: {
        const spec = findParam(req.params, ParamType.ROSpec);
        if (!spec) {
          return respond(req, StatusCode.M_MissingParameter, 'ADD_ROSPEC needs a ROSpec');
        }
        const rid = Number(spec.fields['ROSpecID']);
        if (rid === 0) return respond(req, StatusCode.M_FieldError, 'ROSpecID 0 is reserved');
        if (rospecs.has(rid)) return respond(req, StatusCode.A_Invalid, `ROSpec ${rid} already exists`);
        if (Number(spec.fields['CurrentState']) !== 0) {
          return respond(req, StatusCode.A_Invalid, 'a new ROSpec must be in the Disabled state');
        }
        const ai = findParam(spec.params, ParamType.AISpec);
        if (!ai) return respond(req, StatusCode.M_MissingParameter, 'ROSpec needs an AISpec');
        const rr = findParam(spec.params, ParamType.ROReportSpec);
        const antennas = ai.fields['AntennaIDs'] as number[];
        rospecs.set(rid, {
          id: rid,
          state: 'disabled',
          antennas: antennas.length > 0 ? antennas : [0],
          n: rr ? Number(rr.fields['N']) : defaultN,
          spec,
        });
        return respond(req, 0);
      }
      case MessageType.DELETE_ROSPEC: {
        const t = targets(id);
        if (!t) return respond(req, StatusCode.A_Invalid, `no ROSpec ${id}`);
        for (const r of t) rospecs.delete(r.id);
        return respond(req, 0);
      }
      case MessageType.ENABLE_ROSPEC:
      case MessageType.DISABLE_ROSPEC: {
        const t = targets(id);
        if (!t) return respond(req, StatusCode.A_Invalid, `no ROSpec ${id}`);
        for (const r of t) {
          if (req.type === MessageType.DISABLE_ROSPEC) r.state = 'disabled';
          else if (r.state === 'disabled') r.state = 'inactive';
        }
        return respond(req, 0);
      }
      case MessageType.START_ROSPEC: {
        const r = rospecs.get(id);
        if (!r) return respond(req, StatusCode.A_Invalid, `no ROSpec ${id}`);
        if (r.state !== 'inactive')
          return respond(req, StatusCode.A_Invalid, `ROSpec ${id} is ${r.state}, not enabled`);
        for (const o of rospecs.values()) if (o.state === 'active') o.state = 'inactive';
        r.state = 'active';
        respond(req, 0);
        for (const w of activeWaiters) w();
        activeWaiters = [];
        return;
      }
      case MessageType.STOP_ROSPEC: {
        const r = rospecs.get(id);
        if (!r) return respond(req, StatusCode.A_Invalid, `no ROSpec ${id}`);
        if (r.state !== 'active') return respond(req, StatusCode.A_Invalid, `ROSpec ${id} is not active`);
        flush(true);
        r.state = 'inactive';
        return respond(req, 0);
      }
      case MessageType.GET_ROSPECS:
        return respond(
          req,
          0,
          '',
          [...rospecs.values()].map((r) => ({
            ...r.spec,
            fields: {
              ...r.spec.fields,
              CurrentState: r.state === 'disabled' ? 0 : r.state === 'inactive' ? 1 : 2,
            },
          })),
        );
      case MessageType.GET_REPORT:
        return flush(true);
      case MessageType.KEEPALIVE_ACK:
        stats.keepaliveAcks += 1;
        return;
      case MessageType.ENABLE_EVENTS_AND_REPORTS:
        return;
      case MessageType.CLOSE_CONNECTION:
        flush(true);
        respond(req, 0);
        sock.end();
        return;
      default:
        return errorMessageTo(
          sock,
          req.id,
          StatusCode.M_UnsupportedMessage,
          `message type ${req.type} not supported`,
        );
    }
  };

  const onConnection = (sock: net.Socket) => {
    stats.connections += 1;
    sock.setNoDelay(true);
    if (client && !client.destroyed) {
      // The newer connection wins; the old one learns it is closed (ConnectionCloseEvent).
      send(
        client,
        readerEventNotification(allocId(), clock.now() * 1000, param(ParamType.ConnectionCloseEvent)),
      );
      client.destroy();
    }
    client = sock;
    queue = [];
    for (const r of rospecs.values()) if (r.state === 'active') r.state = 'inactive';
    const framer = new LlrpFramer((frame, type, id) => {
      let req: LlrpMessage;
      try {
        req = decodeBody(type, id, frame.subarray(LLRP_HEADER_BYTES));
      } catch (err) {
        const code = RESPONSE_OF[type] === undefined ? null : StatusCode.M_ParameterError;
        if (code !== null) {
          stats.errorsSent += 1;
          send(sock, message(RESPONSE_OF[type]!, id, {}, [status(code, errorMessage(err).slice(0, 200))]));
        } else errorMessageTo(sock, id, StatusCode.M_ParameterError, errorMessage(err).slice(0, 200));
        return;
      }
      handle(sock, req);
    });
    sock.on('data', (chunk: Buffer) => {
      if (sock !== client) return;
      try {
        framer.push(chunk);
      } catch (err) {
        const v = err instanceof ColdtraceError ? Number(err.details?.['version']) : 1;
        errorMessageTo(
          sock,
          0,
          v !== 1 ? StatusCode.M_UnsupportedVersion : StatusCode.M_ParameterError,
          errorMessage(err).slice(0, 200),
        );
        sock.end();
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (client === sock) {
        client = null;
        clock.clearInterval(keepaliveTimer);
        for (const r of rospecs.values()) if (r.state === 'active') r.state = 'inactive';
      }
    });
    // LLRP 1.0.1 §17.1.3: announce the outcome of the connection attempt first.
    send(
      sock,
      readerEventNotification(
        allocId(),
        clock.now() * 1000,
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
  periodTimer = clock.setInterval(() => flush(true), periodMs);

  const play = async (paths: TagPath[], durationMs: number): Promise<void> => {
    const start = clock.now();
    const reads = simulateReads(paths, durationMs, start, geo, rand);
    if (!realtime) {
      enqueue(reads);
      flush(true);
      return;
    }
    let i = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = clock.now();
        const batch: TagRead[] = [];
        while (i < reads.length && reads[i]!.firstSeenUs! / 1000 <= now) batch.push(reads[i++]!);
        if (batch.length > 0) enqueue(batch);
        if (i >= reads.length && now - start >= durationMs) {
          flush(true);
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
    async close() {
      clock.clearInterval(periodTimer);
      clock.clearInterval(keepaliveTimer);
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
        const t = clock.setTimeout(
          () => reject(new ColdtraceError('SIM_TIMEOUT', 'no ROSpec started')),
          timeoutMs,
        );
        activeWaiters.push(() => {
          clock.clearTimeout(t);
          resolve();
        });
      });
    },
    inject: {
      drop() {
        client?.destroy();
      },
      stall(ms) {
        stalledUntil = clock.now() + ms;
        clock.setTimeout(() => {
          const q = stallQueue;
          stallQueue = [];
          for (const b of q) if (client && !client.destroyed) client.write(b);
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

/** LLRP 1.0.1 §16.2.3: what this simulated 4-port reader can do. */
function capabilities(geo: DoorGeometry): LlrpParam[] {
  const antennas = [...geo.outsideAntennas, ...geo.insideAntennas];
  return [
    param(
      ParamType.GeneralDeviceCapabilities,
      {
        MaxNumberOfAntennaSupported: antennas.length,
        CanSetAntennaProperties: false,
        HasUTCClockCapability: true,
        DeviceManufacturerName: 25882,
        ModelName: 2001002,
        ReaderFirmwareVersion: 'coldtrace-sim 0.1',
      },
      [
        param(ParamType.ReceiveSensitivityTableEntry, { Index: 1, ReceiveSensitivityValue: 0 }),
        param(ParamType.GPIOCapabilities, { NumGPIs: 0, NumGPOs: 0 }),
        ...antennas.map((a) =>
          param(ParamType.PerAntennaAirProtocol, { AntennaID: a, ProtocolID: Buffer.from([1]) }),
        ),
      ],
    ),
    param(ParamType.LLRPCapabilities, {
      CanDoRFSurvey: false,
      CanReportBufferFillWarning: false,
      SupportsClientRequestOpSpec: false,
      CanDoTagInventoryStateAwareSingulation: false,
      SupportsEventAndReportHolding: false,
      MaxNumPriorityLevelsSupported: 1,
      ClientRequestOpSpecTimeout: 0,
      MaxNumROSpecs: 8,
      MaxNumSpecsPerROSpec: 1,
      MaxNumInventoryParameterSpecsPerAISpec: 1,
      MaxNumAccessSpecs: 0,
      MaxNumOpSpecsPerAccessSpec: 0,
    }),
  ];
}
