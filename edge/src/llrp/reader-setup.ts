import { ColdtraceError } from '@coldtrace/shared';
import {
  buildROSpec,
  buildSetReaderConfig,
  ConnectionAttemptStatus,
  formatStatus,
  IMPINJ_ENABLE_EXTENSIONS_RESPONSE_SUBTYPE,
  impinjEnableExtensions,
  isImpinjMessage,
  type LlrpMessage,
  MessageType,
  message,
  messageName,
  readerCapabilitiesOf,
  StatusCode,
  statusOf,
  withCustomParams,
} from '@coldtrace/shared/llrp';
import type { ReaderConnectorOptions } from './connector-options.js';
import { planRadio } from './radio-plan.js';

// The request sequences the connector (`connector.ts`) sends on a connection, apart from its I/O and
// reconnect logic: what is configured at each connect and what is undone on stop.

const ATTEMPT_STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ConnectionAttemptStatus).map(([k, v]) => [v, k]),
);

/** LLRP 1.0.1 §16.2.8.1: a non-success LLRPStatus fails with its whole FieldError/ParameterError detail. */
export function checkStatus(resp: LlrpMessage): void {
  const s = statusOf(resp);
  if (s.code !== StatusCode.M_Success) {
    throw new ColdtraceError('llrp_status', `${messageName(resp.type)}: ${formatStatus(s)}`, { status: s });
  }
}

/** The reader's ERROR_MESSAGE in answer to a request, as the error that request fails with. */
export function errorMessageError(msg: LlrpMessage): ColdtraceError {
  const s = statusOf(msg);
  return new ColdtraceError('llrp_error_message', `reader ERROR_MESSAGE id ${msg.id}: ${formatStatus(s)}`, {
    status: s,
  });
}

/** LLRP 1.0.1 §16.2.7.6.10: a ConnectionAttemptEvent other than Success, e.g. another client holds the reader. */
export function connectionRefused(status: number): ColdtraceError {
  return new ColdtraceError(
    'llrp_connection_refused',
    `reader refused the connection: ConnectionAttemptEvent status ${status} (${ATTEMPT_STATUS_NAMES[status] ?? 'unknown'})`,
    { status },
  );
}

/**
 * STOP_ROSPEC and DELETE_ROSPEC of our ROSpec (LLRP 1.0.1 §16.1.9, §16.1.5), so the reader stops
 * transmitting and keeps nothing of ours running, then CLOSE_CONNECTION (§16.1.40).
 */
export function closingMessages(rospecId: number): LlrpMessage[] {
  const id = { ROSpecID: rospecId };
  return [
    message(MessageType.STOP_ROSPEC, 0, id),
    message(MessageType.DELETE_ROSPEC, 0, id),
    message(MessageType.CLOSE_CONNECTION, 0),
  ];
}

/**
 * The setup after a successful ConnectionAttemptEvent: read capabilities (handed to `onCapabilities` as
 * soon as they arrive), reset the configuration, DELETE/ADD/ENABLE/START the ROSpec. Each request goes
 * through `transact`; the first refusal throws.
 */
export async function configureReader(
  o: ReaderConnectorOptions,
  transact: (msg: LlrpMessage) => Promise<LlrpMessage>,
  onCapabilities: (caps: LlrpMessage) => void,
): Promise<void> {
  const caps = await transact(message(MessageType.GET_READER_CAPABILITIES, 0, { RequestedData: 0 }));
  checkStatus(caps);
  onCapabilities(caps);
  // LLRP 1.0.1 §16.2.6.6: the antennas' radio settings as indexes into this reader's tables, checked
  // before anything is configured (a setting it cannot do is a config error; the reader is left as is).
  const radio = o.radio && planRadio(o.radio, o.antennas, readerCapabilitiesOf(caps));
  // Impinj Octane LLRP: an Impinj reader takes Impinj Custom parameters (the search mode) only on a
  // connection that sent IMPINJ_ENABLE_EXTENSIONS first.
  if (radio?.some((a) => a.searchMode !== undefined)) {
    const resp = await transact(impinjEnableExtensions());
    if (
      resp.type !== MessageType.ERROR_MESSAGE &&
      !isImpinjMessage(resp, IMPINJ_ENABLE_EXTENSIONS_RESPONSE_SUBTYPE)
    )
      throw new ColdtraceError(
        'llrp_status',
        'IMPINJ_ENABLE_EXTENSIONS: the reader answered another message',
      );
    checkStatus(resp.type === MessageType.ERROR_MESSAGE ? resp : withCustomParams(resp));
  }
  const factoryReset = o.factoryReset ?? true;
  checkStatus(await transact(buildSetReaderConfig(0, o.keepaliveMs, { factoryReset })));
  // Delete all ROSpecs (ID 0), LLRP 1.0.1 §16.1.5; then install ours.
  checkStatus(await transact(message(MessageType.DELETE_ROSPEC, 0, { ROSpecID: 0 })));
  const spec = buildROSpec({
    rospecId: o.rospecId,
    antennas: o.antennas,
    reportEveryTags: o.reportEveryTags,
    ...(radio ? { antennaConfigs: radio } : {}),
  });
  checkStatus(await transact(message(MessageType.ADD_ROSPEC, 0, {}, [spec])));
  checkStatus(await transact(message(MessageType.ENABLE_ROSPEC, 0, { ROSpecID: o.rospecId })));
  checkStatus(await transact(message(MessageType.START_ROSPEC, 0, { ROSpecID: o.rospecId })));
}
