import { errorMessage } from '@coldtrace/shared';
import {
  fieldErrorParam,
  findParam,
  IMPINJ_ENABLE_EXTENSIONS_SUBTYPE,
  IMPINJ_VENDOR_ID,
  impinjEnableExtensionsResponse,
  isImpinjMessage,
  type LlrpMessage,
  type LlrpParam,
  MessageType,
  message,
  NotificationEventType,
  ParamType,
  param,
  parameterErrorParam,
  RESPONSE_OF,
  ROReportTrigger,
  StatusCode,
  statusParam,
} from '@coldtrace/shared/llrp';
import { applyAntennaConfigs, type RadioApplied } from './antenna-config.js';
import { capabilities } from './capabilities.js';
import type { DoorGeometry } from './population.js';
import type { ReportPolicy } from './report-buffer.js';

export type RoState = 'disabled' | 'inactive' | 'active';

export interface RoSpec {
  id: number;
  state: RoState;
  antennas: number[];
  policy: ReportPolicy;
  spec: LlrpParam;
  /** Conducted transmit power per antenna its AntennaConfigurations set (dBm); others at full power. */
  txPowerDbm: RadioApplied['txPowerDbm'];
  /** Impinj search mode per antenna its AntennaConfigurations set; others at the reader's own. */
  searchMode: RadioApplied['searchMode'];
}

/** What the request handler may read and do; implemented by the simulator for one connection. */
export interface ReaderContext {
  readonly rospecs: Map<number, RoSpec>;
  /**
   * Reader events the client switched on (LLRP 1.0.1 §16.2.7.5 EventType → NotificationState). Factory
   * default here: all off, so the reader reports only what it was asked for.
   */
  readonly events: Map<number, boolean>;
  /** Current KeepaliveSpec period (0 = none); SET_READER_CONFIG changes it. */
  keepaliveMs: number;
  /** The period before any client configured one (and after a factory reset). */
  readonly defaultKeepaliveMs: number;
  /** ROReportSpec N of a ROSpec that brings no ROReportSpec. */
  readonly defaultN: number;
  readonly geo: DoorGeometry;
  /** GeneralDeviceCapabilities.DeviceManufacturerName (IANA PEN); 25882 (Impinj) takes Impinj extensions. */
  readonly manufacturer: number;
  /** Impinj extensions enabled on this connection (IMPINJ_ENABLE_EXTENSIONS): only then its Custom parameters. */
  impinjExtensions: boolean;
  /** Sends a message to the connection the request came on. */
  reply(msg: LlrpMessage): void;
  armKeepalive(): void;
  /**
   * The ROSpec stops running (STOP, DISABLE, DELETE, preemption by `preemptedBy`, close): its end-of-spec
   * reports go out, then its ROSpecEvent if enabled.
   */
  endRun(r: RoSpec, preemptedBy?: number): void;
  /** The ROSpec started (after the START_ROSPEC_RESPONSE): its ROSpecEvent if enabled. */
  started(r: RoSpec): void;
  /** GET_REPORT: everything held goes out. */
  getReport(): void;
  /** CLOSE_CONNECTION answered: end the connection. */
  closeConnection(): void;
  countError(): void;
  keepaliveAcked(): void;
}

// LLRP 1.0.1 §16.1 message field numbers (FieldNum of a FieldError) and ROSpec field numbers.
const ROSPECID_FIELD = 0;
const ROSPEC_CURRENT_STATE_FIELD = 2;

/** ROSpecID 0 addresses every ROSpec in DELETE/ENABLE/DISABLE (LLRP 1.0.1 §16.1). */
function targets(ctx: ReaderContext, id: number): RoSpec[] | null {
  if (id === 0) return [...ctx.rospecs.values()];
  const r = ctx.rospecs.get(id);
  return r ? [r] : null;
}

/**
 * Answers one client request like a fixed reader (LLRP 1.0.1 §16.1.4-§16.1.10 ROSpec state machine:
 * Disabled → Inactive → Active). Errors follow §16.2.8.1: the LLRPStatus carries a message-level code
 * (M_*) and its detail, a FieldError with an A_* code for a bad message field, or a ParameterError with
 * a P_* code (and the FieldError or nested ParameterError below it) for a bad parameter.
 */
export function handleRequest(ctx: ReaderContext, req: LlrpMessage) {
  const respond = (code: number, description = '', params: LlrpParam[] = []) => {
    const type = RESPONSE_OF[req.type];
    if (type === undefined) return;
    if (code !== StatusCode.M_Success) ctx.countError();
    const detail = params.filter(
      (p) => p.type === ParamType.FieldError || p.type === ParamType.ParameterError,
    );
    const rest = params.filter((p) => !detail.includes(p));
    ctx.reply(message(type, req.id, {}, [statusParam(code, description, detail), ...rest]));
  };
  /** M_FieldError: a message field (here the ROSpecID) is invalid. */
  const badField = (fieldNum: number, description: string) =>
    respond(StatusCode.M_FieldError, description, [fieldErrorParam(fieldNum, StatusCode.A_Invalid)]);
  /** M_ParameterError: the ParameterError chain down to what is wrong. */
  const badParam = (description: string, error: LlrpParam) =>
    respond(StatusCode.M_ParameterError, description, [error]);
  const id = Number(req.fields['ROSpecID'] ?? 0);
  const unsupported = () => {
    ctx.countError();
    ctx.reply(
      message(MessageType.ERROR_MESSAGE, req.id, {}, [
        statusParam(StatusCode.M_UnsupportedMessage, `message type ${req.type} not supported`),
      ]),
    );
  };

  switch (req.type) {
    case MessageType.GET_READER_CAPABILITIES:
      return respond(StatusCode.M_Success, '', capabilities(ctx.geo, ctx.manufacturer));
    case MessageType.GET_READER_CONFIG:
      return respond(StatusCode.M_Success, '', [
        // LLRP 1.0.1 §16.2.6.2: IDType 0 is a MAC address as EUI-64 (8 bytes).
        param(ParamType.Identification, { IDType: 0, ReaderID: Buffer.from('c01d7afffece0501', 'hex') }),
        param(
          ParamType.ReaderEventNotificationSpec,
          {},
          Object.values(NotificationEventType).map((t) =>
            param(ParamType.EventNotificationState, {
              EventType: t,
              NotificationState: ctx.events.get(t) === true,
            }),
          ),
        ),
        param(ParamType.KeepaliveSpec, {
          KeepaliveTriggerType: ctx.keepaliveMs > 0 ? 1 : 0,
          PeriodicTriggerValue: ctx.keepaliveMs,
        }),
      ]);
    case MessageType.SET_READER_CONFIG: {
      const ka = findParam(req.params, ParamType.KeepaliveSpec);
      const kaType = ka ? Number(ka.fields['KeepaliveTriggerType']) : 0;
      if (ka && kaType > 1) {
        return badParam(
          'KeepaliveTriggerType must be 0 (Null) or 1 (Periodic)',
          parameterErrorParam(
            ParamType.KeepaliveSpec,
            StatusCode.P_FieldError,
            fieldErrorParam(0, StatusCode.A_Invalid),
          ),
        );
      }
      if (req.fields['ResetToFactoryDefault'] === true) {
        for (const r of ctx.rospecs.values()) if (r.state === 'active') ctx.endRun(r);
        ctx.rospecs.clear();
        ctx.keepaliveMs = ctx.defaultKeepaliveMs;
        ctx.events.clear();
      }
      // LLRP 1.0.1 §16.2.7.5.1: each EventNotificationState switches one event type on or off.
      const spec = findParam(req.params, ParamType.ReaderEventNotificationSpec);
      for (const e of spec?.params ?? []) {
        if (e.type === ParamType.EventNotificationState)
          ctx.events.set(Number(e.fields['EventType']), e.fields['NotificationState'] === true);
      }
      // LLRP 1.0.1 §16.2.6.9: the client's KeepaliveSpec is the reader's configuration from now on.
      if (ka) ctx.keepaliveMs = kaType === 1 ? Number(ka.fields['PeriodicTriggerValue']) : 0;
      ctx.armKeepalive();
      return respond(StatusCode.M_Success);
    }
    case MessageType.ADD_ROSPEC:
      return addROSpec(ctx, req, respond, badParam);
    case MessageType.DELETE_ROSPEC: {
      const t = targets(ctx, id);
      if (!t) return badField(ROSPECID_FIELD, `no ROSpec ${id}`);
      for (const r of t) {
        if (r.state === 'active') ctx.endRun(r);
        ctx.rospecs.delete(r.id);
      }
      return respond(StatusCode.M_Success);
    }
    case MessageType.ENABLE_ROSPEC:
    case MessageType.DISABLE_ROSPEC: {
      const t = targets(ctx, id);
      if (!t) return badField(ROSPECID_FIELD, `no ROSpec ${id}`);
      for (const r of t) {
        if (req.type === MessageType.DISABLE_ROSPEC) {
          if (r.state === 'active') ctx.endRun(r);
          r.state = 'disabled';
        } else if (r.state === 'disabled') r.state = 'inactive';
      }
      return respond(StatusCode.M_Success);
    }
    case MessageType.START_ROSPEC: {
      const r = ctx.rospecs.get(id);
      if (!r) return badField(ROSPECID_FIELD, `no ROSpec ${id}`);
      if (r.state !== 'inactive') return badField(ROSPECID_FIELD, `ROSpec ${id} is ${r.state}, not enabled`);
      for (const o of ctx.rospecs.values()) {
        if (o.state === 'active') {
          ctx.endRun(o, r.id);
          o.state = 'inactive';
        }
      }
      r.state = 'active';
      respond(StatusCode.M_Success);
      ctx.started(r);
      return;
    }
    case MessageType.STOP_ROSPEC: {
      const r = ctx.rospecs.get(id);
      if (!r) return badField(ROSPECID_FIELD, `no ROSpec ${id}`);
      if (r.state !== 'active') return badField(ROSPECID_FIELD, `ROSpec ${id} is ${r.state}, not active`);
      ctx.endRun(r);
      r.state = 'inactive';
      return respond(StatusCode.M_Success);
    }
    case MessageType.GET_ROSPECS:
      return respond(
        StatusCode.M_Success,
        '',
        [...ctx.rospecs.values()].map((r) => ({
          ...r.spec,
          fields: {
            ...r.spec.fields,
            CurrentState: r.state === 'disabled' ? 0 : r.state === 'inactive' ? 1 : 2,
          },
        })),
      );
    case MessageType.GET_REPORT:
      return ctx.getReport();
    case MessageType.KEEPALIVE_ACK:
      ctx.keepaliveAcked();
      return;
    case MessageType.ENABLE_EVENTS_AND_REPORTS:
      return;
    case MessageType.CUSTOM_MESSAGE:
      // Impinj Octane LLRP IMPINJ_ENABLE_EXTENSIONS, when this reader is an Impinj one; any other custom
      // message is unsupported (below).
      if (ctx.manufacturer === IMPINJ_VENDOR_ID && isImpinjMessage(req, IMPINJ_ENABLE_EXTENSIONS_SUBTYPE)) {
        ctx.impinjExtensions = true;
        ctx.reply(impinjEnableExtensionsResponse(req.id, statusParam(StatusCode.M_Success, '')));
        return;
      }
      return unsupported();
    case MessageType.CLOSE_CONNECTION:
      for (const r of ctx.rospecs.values()) {
        if (r.state === 'active') {
          ctx.endRun(r);
          r.state = 'inactive';
        }
      }
      respond(StatusCode.M_Success);
      ctx.closeConnection();
      return;
    default:
      return unsupported();
  }
}

type Respond = (code: number, description?: string, params?: LlrpParam[]) => void;

/**
 * ADD_ROSPEC (LLRP 1.0.1 §16.1.3): the ROSpec must be new, Disabled, with an AISpec, and radio settings
 * (and Custom parameters) this reader has (`antenna-config.ts`).
 */
function addROSpec(
  ctx: ReaderContext,
  req: LlrpMessage,
  respond: Respond,
  badParam: (description: string, error: LlrpParam) => void,
) {
  const spec = findParam(req.params, ParamType.ROSpec);
  if (!spec) {
    // The ParameterError names the type of the missing parameter.
    return respond(StatusCode.M_MissingParameter, 'ADD_ROSPEC needs a ROSpec', [
      parameterErrorParam(ParamType.ROSpec, StatusCode.P_MissingParameter),
    ]);
  }
  const rospecField = (fieldNum: number, description: string) =>
    badParam(
      description,
      parameterErrorParam(
        ParamType.ROSpec,
        StatusCode.P_FieldError,
        fieldErrorParam(fieldNum, StatusCode.A_Invalid),
      ),
    );
  const rid = Number(spec.fields['ROSpecID']);
  if (rid === 0) return rospecField(ROSPECID_FIELD, 'ROSpecID 0 is reserved');
  if (ctx.rospecs.has(rid)) return rospecField(ROSPECID_FIELD, `ROSpec ${rid} already exists`);
  if (Number(spec.fields['CurrentState']) !== 0) {
    return rospecField(ROSPEC_CURRENT_STATE_FIELD, 'a new ROSpec must be in the Disabled state');
  }
  const ai = findParam(spec.params, ParamType.AISpec);
  if (!ai) {
    return badParam(
      'ROSpec needs an AISpec',
      parameterErrorParam(
        ParamType.ROSpec,
        StatusCode.P_ParameterError,
        parameterErrorParam(ParamType.AISpec, StatusCode.P_MissingParameter),
      ),
    );
  }
  const rr = findParam(spec.params, ParamType.ROReportSpec);
  const trigger = rr ? Number(rr.fields['ROReportTrigger']) : ROReportTrigger.UponNTagsOrEndOfROSpec;
  if (trigger > ROReportTrigger.UponNTagsOrEndOfROSpec) {
    return badParam(
      `ROReportTrigger ${trigger} is not defined in LLRP 1.0.1`,
      parameterErrorParam(
        ParamType.ROSpec,
        StatusCode.P_ParameterError,
        parameterErrorParam(
          ParamType.ROReportSpec,
          StatusCode.P_FieldError,
          fieldErrorParam(0, StatusCode.A_Invalid),
        ),
      ),
    );
  }
  const antennaIds = [...ctx.geo.outsideAntennas, ...ctx.geo.insideAntennas];
  const radio = applyAntennaConfigs(spec, antennaIds, ctx.manufacturer, ctx.impinjExtensions);
  if ('error' in radio) return badParam(radio.description, radio.error);
  const antennas = ai.fields['AntennaIDs'] as number[];
  ctx.rospecs.set(rid, {
    id: rid,
    state: 'disabled',
    antennas: antennas.length > 0 ? antennas : [0],
    policy: { trigger, n: rr ? Number(rr.fields['N']) : ctx.defaultN },
    spec,
    txPowerDbm: radio.txPowerDbm,
    searchMode: radio.searchMode,
  });
  respond(StatusCode.M_Success);
}

/**
 * The answer to a request whose body does not decode (LLRP 1.0.1 §16.2.8.1): a bad parameter gives
 * M_ParameterError with a ParameterError naming its type (and the FieldError when a field is at fault);
 * a bad message field gives M_FieldError with the FieldError.
 */
export function undecodableRequestStatus(err: unknown): LlrpParam {
  const details = (err as { details?: Record<string, unknown> }).details ?? {};
  const description = errorMessage(err).slice(0, 200);
  const type = details['type'];
  const fieldNum = details['fieldNum'];
  const fe = typeof fieldNum === 'number' ? fieldErrorParam(fieldNum, StatusCode.A_Invalid) : undefined;
  if (typeof type === 'number') {
    return statusParam(StatusCode.M_ParameterError, description, [
      parameterErrorParam(type, fe ? StatusCode.P_FieldError : StatusCode.P_ParameterError, fe),
    ]);
  }
  if (fe) return statusParam(StatusCode.M_FieldError, description, [fe]);
  return statusParam(StatusCode.M_ParameterError, description);
}
