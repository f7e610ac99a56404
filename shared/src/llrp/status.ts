import { ColdtraceError } from '../errors.js';
import { findParam, type LlrpMessage, type LlrpParam, param } from './codec.js';
import { ParamType, StatusCode } from './constants.js';
import { TLV_PARAMS } from './schema.js';

/** LLRP 1.0.1 §16.2.8.1 FieldError: which field (zero-based, in wire order) and why (an A_* code). */
export interface LlrpFieldError {
  fieldNum: number;
  errorCode: number;
}

/**
 * LLRP 1.0.1 §16.2.8.1 ParameterError: the parameter type in error and why (a P_* code), with the
 * FieldError or the nested ParameterError of the sub-parameter that is actually wrong.
 */
export interface LlrpParameterError {
  parameterType: number;
  errorCode: number;
  fieldError?: LlrpFieldError;
  parameterError?: LlrpParameterError;
}

export interface LlrpStatus {
  code: number;
  description: string;
  fieldError?: LlrpFieldError;
  parameterError?: LlrpParameterError;
}

/** LLRP 1.0.1 §16.2.8.1 FieldError parameter. */
export function fieldErrorParam(fieldNum: number, errorCode: number): LlrpParam {
  return param(ParamType.FieldError, { FieldNum: fieldNum, ErrorCode: errorCode });
}

/** LLRP 1.0.1 §16.2.8.1 ParameterError parameter, optionally carrying the detail (FieldError or nested). */
export function parameterErrorParam(parameterType: number, errorCode: number, detail?: LlrpParam): LlrpParam {
  return param(
    ParamType.ParameterError,
    { ParameterType: parameterType, ErrorCode: errorCode },
    detail ? [detail] : [],
  );
}

/** LLRP 1.0.1 §16.2.8.1: the LLRPStatus parameter, with its FieldError / ParameterError detail. */
export function statusParam(code: number, description = '', extra?: LlrpParam[]): LlrpParam {
  return param(ParamType.LLRPStatus, { StatusCode: code, ErrorDescription: description }, extra ?? []);
}

function fieldErrorOf(p: LlrpParam | undefined): LlrpFieldError | undefined {
  if (p === undefined) return undefined;
  return { fieldNum: Number(p.fields['FieldNum']), errorCode: Number(p.fields['ErrorCode']) };
}

function parameterErrorOf(p: LlrpParam | undefined): LlrpParameterError | undefined {
  if (p === undefined) return undefined;
  const out: LlrpParameterError = {
    parameterType: Number(p.fields['ParameterType']),
    errorCode: Number(p.fields['ErrorCode']),
  };
  const fe = fieldErrorOf(findParam(p.params, ParamType.FieldError));
  if (fe) out.fieldError = fe;
  const pe = parameterErrorOf(findParam(p.params, ParamType.ParameterError));
  if (pe) out.parameterError = pe;
  return out;
}

/** Reads the LLRPStatus of a response or ERROR_MESSAGE; missing status is a malformed response. */
export function statusOf(msg: LlrpMessage): LlrpStatus {
  const p = findParam(msg.params, ParamType.LLRPStatus);
  if (p === undefined || p.raw !== undefined)
    throw new ColdtraceError('llrp_malformed', `message type ${msg.type} has no LLRPStatus`);
  const out: LlrpStatus = {
    code: Number(p.fields['StatusCode']),
    description: String(p.fields['ErrorDescription']),
  };
  const fe = fieldErrorOf(findParam(p.params, ParamType.FieldError));
  if (fe) out.fieldError = fe;
  const pe = parameterErrorOf(findParam(p.params, ParamType.ParameterError));
  if (pe) out.parameterError = pe;
  return out;
}

export function isSuccess(msg: LlrpMessage): boolean {
  return statusOf(msg).code === StatusCode.M_Success;
}

const STATUS_NAMES = new Map<number, string>(Object.entries(StatusCode).map(([k, v]) => [v, k]));

/** `M_FieldError (101)`; unknown codes as their number. */
export function statusName(code: number): string {
  const name = STATUS_NAMES.get(code);
  return name === undefined ? `status ${code}` : `${name} (${code})`;
}

function describeFieldError(fe: LlrpFieldError): string {
  return `FieldError field ${fe.fieldNum} ${statusName(fe.errorCode)}`;
}

function describeParameterError(pe: LlrpParameterError): string {
  const name = TLV_PARAMS[pe.parameterType]?.name ?? 'parameter';
  let s = `ParameterError ${name} (${pe.parameterType}) ${statusName(pe.errorCode)}`;
  if (pe.fieldError) s += ` > ${describeFieldError(pe.fieldError)}`;
  if (pe.parameterError) s += ` > ${describeParameterError(pe.parameterError)}`;
  return s;
}

/**
 * One line for logs and error messages, with the whole detail:
 * `M_ParameterError (100) "ROSpec 5 already exists" [ParameterError ROSpec (177) P_FieldError (201) >
 * FieldError field 0 A_Invalid (300)]`.
 */
export function formatStatus(s: LlrpStatus): string {
  let out = statusName(s.code);
  if (s.description) out += ` ${JSON.stringify(s.description)}`;
  const detail: string[] = [];
  if (s.fieldError) detail.push(describeFieldError(s.fieldError));
  if (s.parameterError) detail.push(describeParameterError(s.parameterError));
  if (detail.length > 0) out += ` [${detail.join('; ')}]`;
  return out;
}
