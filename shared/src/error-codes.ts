/**
 * Every machine-readable error code coldtrace uses, with what it means and, for those an HTTP API
 * answers with, the status. `ColdtraceError` takes only these codes (the type checker refuses others,
 * and test/error-codes.test.ts fails on an undeclared code anywhere in the sources). Codes are
 * lower_snake_case; a component's own failures carry its prefix (`llrp_`, `sim_`, `scenario_`,
 * `influx_`, `buffer_`).
 */
export interface ErrorCodeSpec {
  /** What happened, for an operator reading a log or an API client reading a response. */
  meaning: string;
  /** The HTTP status the cloud's API answers with (only codes an HTTP request can cause). */
  http?: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503;
}

export const ERROR_CODES = {
  // ---- HTTP API (cloud) ----
  invalid: { http: 400, meaning: 'The request is malformed or breaks a rule; the message says which.' },
  unauthorized: { http: 401, meaning: 'No valid session or bearer token: log in or send a token.' },
  forbidden: {
    http: 403,
    meaning: 'Authenticated, but the roles (or a missing CSRF token) do not allow this.',
  },
  not_found: { http: 404, meaning: 'No such resource (or route).' },
  conflict: { http: 409, meaning: 'The resource exists already or changed since it was read.' },
  second_signature_required: {
    http: 409,
    meaning:
      'This release needs a written justification and a second QA signature (two-person rule): propose it, another QA user approves.',
  },
  too_many_requests: { http: 429, meaning: 'Rate limit or failed-login lockout; retry later.' },
  internal: { http: 500, meaning: 'An unexpected failure; the server log has the details.' },
  unavailable: { http: 503, meaning: 'A part this request needs (broker, ingest pipeline) is not running.' },
  invalid_master_data: { http: 400, meaning: 'Stored master data (e.g. a product rule) cannot be used.' },
  spec_effective_in_past: {
    http: 400,
    meaning:
      'An ordinary specification change takes effect now or later; changing what applied to past readings is a retroactive correction (its own signed action).',
  },
  history_deleted: {
    http: 409,
    meaning:
      'Raw readings at this location were deleted after archiving; a retroactive correction takes effect only from its evaluation horizon on (named with the archives to restore): sign it from there, or restore the archives first.',
  },
  invalid_epc_input: { http: 400, meaning: 'Values cannot be encoded as the requested EPC.' },

  // ---- records, buffer and wire contract ----
  invalid_config: { meaning: 'A configuration (gateway, module, publisher, buffer) fails validation.' },
  invalid_record: { meaning: 'A record breaks the wire contract and was not buffered.' },
  invalid_batch: { meaning: 'A batch built from the buffer breaks the wire contract.' },
  invalid_stream: { meaning: 'Not one of the streams readings, movements, alarms.' },
  invalid_ack: { meaning: 'An acknowledgement beyond the last sequence number assigned.' },
  invalid_sample: { meaning: 'A temperature sample with a non-finite time or value.' },
  invalid_rule: { http: 400, meaning: 'A temperature rule (cumulative limit) with impossible parameters.' },
  buffer_full: { meaning: 'The durable buffer is at its size limit and refused records.' },
  buffer_closed: { meaning: 'The durable buffer was used after it was closed.' },
  buffer_open_failed: { meaning: 'The durable buffer file cannot be opened or cannot use WAL.' },
  epochs_exhausted: { meaning: 'A gateway stream started more buffer epochs than the cloud can number.' },

  // ---- cloud ingest: dead-letter codes of the cloud's own checks ----
  future_timestamp: {
    meaning: 'A record has an event time later than its receive time plus the allowed clock skew.',
  },
  stale_timestamp: {
    meaning: 'A record has an event time earlier than the ingest horizon (default 90 days before receipt).',
  },

  // ---- barcodes (shared/src/barcode, docs/barcode.md) ----
  barcode_malformed: {
    meaning: 'A scanned GS1 code breaks its syntax (length, characters, FNC1, URI form).',
  },
  barcode_unknown_ai: {
    meaning: 'A scanned GS1 code has an Application Identifier coldtrace does not know.',
  },
  barcode_check_digit: { meaning: 'A GTIN, SSCC or GLN in a scanned code has a wrong check digit.' },
  barcode_invalid_date: { meaning: 'A date in a scanned code does not exist (month or day out of range).' },
  barcode_unsupported: {
    meaning: 'A scanned code is not GS1, GS1 Digital Link or HIBC, or identifies no item or logistic unit.',
  },
  hibc_malformed: { meaning: 'A scanned HIBC code breaks the HIBC Supplier Labeling Standard syntax.' },
  hibc_check_character: { meaning: 'A scanned HIBC code has a wrong mod-43 check character.' },
  hibc_unlinked_secondary: {
    meaning: 'An HIBC secondary code was scanned alone, not right after the primary it links to.',
  },

  scan_unmapped: {
    meaning:
      'A barcode scan names no unit or lot the cloud can map (an SSCC alone, a GTIN without serial or lot, a serial no SGTIN can hold): a dead letter of its own.',
  },
  scan_hibc_unlinked: {
    meaning:
      'A scanned HIBC device identifier is linked to no GTIN (hibc_links master data, ingest.scans.hibcGtins): a dead letter of its own, replayable once linked.',
  },
  scan_company_prefix_unknown: {
    meaning:
      'A serialised scan of a GTIN with no commissioned tag and no configured company prefix: its SGTIN is unknown (dead letter).',
  },
  scan_lot_unknown: {
    meaning:
      "A scan's lot is not in master data (and not created): a dead letter for a scan without serial, a flag on a serialised unit.",
  },
  scan_lot_mismatch: { meaning: 'A scanned unit is commissioned to another lot than its code says (flag).' },
  scan_expiry_mismatch: { meaning: "A scan's expiry differs from its lot's expiry in master data (flag)." },
  scan_expired_received: { meaning: 'An expired unit was scanned in (receiving or putaway) (flag).' },

  // ---- sinks ----
  influx_unavailable: { meaning: 'InfluxDB is unreachable or overloaded; the write is retried.' },
  influx_rejected: { meaning: 'InfluxDB refused a write as invalid; retrying will not help.' },

  // ---- LLRP (reader protocol and connector) ----
  llrp_framing: { meaning: 'Bytes from the reader are not an LLRP message header.' },
  llrp_malformed: { meaning: 'An LLRP message or parameter is malformed.' },
  llrp_malformed_param: { meaning: 'An LLRP parameter is shorter or longer than its type allows.' },
  llrp_malformed_tag_report: { meaning: 'One TagReportData was malformed and skipped; the rest were kept.' },
  llrp_unexpected: { meaning: 'An LLRP message of another type than expected.' },
  llrp_encode: { meaning: 'Values that cannot be encoded as the LLRP message asked for.' },
  llrp_connect_timeout: { meaning: 'The reader did not accept a TCP connection in time.' },
  llrp_connection_refused: { meaning: 'The reader refused the LLRP connection (ConnectionAttemptEvent).' },
  llrp_closed: { meaning: 'The reader closed the connection.' },
  llrp_not_connected: { meaning: 'A request to a reader that is not connected.' },
  llrp_no_response: { meaning: 'A request was sent for a message type that has no response.' },
  llrp_timeout: { meaning: 'The reader did not answer a request in time; the connection is recycled.' },
  llrp_keepalive_timeout: { meaning: 'No message from the reader for longer than the keepalive allows.' },
  llrp_status: { meaning: 'The reader answered with an LLRPStatus other than success.' },
  llrp_error_message: { meaning: 'The reader sent an ERROR_MESSAGE.' },
  llrp_error: { meaning: 'A socket error on the reader connection.' },
  llrp_radio_config: {
    meaning: "A portal's radio settings ask for what the reader's capabilities do not offer.",
  },

  // ---- audit checkpoints (cloud) ----
  checkpoint_key_invalid: {
    meaning: 'The checkpoint key file is missing, unreadable or not an Ed25519 key (or the key pair exists).',
  },
  checkpoint_write_failed: {
    meaning: 'A signed audit checkpoint could not be written to its destination (not writable, or exists).',
  },
  checkpoint_read_failed: {
    meaning: 'The checkpoints to verify cannot be read (no such directory or file).',
  },

  // ---- simulators ----
  cli_usage: { meaning: 'A command was called with missing or invalid arguments.' },
  sim_bad_address: { meaning: 'A simulated Modbus sensor address outside 1..247.' },
  sim_dup_address: { meaning: 'Two simulated Modbus sensors on one address.' },
  sim_unknown_address: { meaning: 'No simulated Modbus sensor at that address.' },
  sim_bad_port: { meaning: 'A simulator or proxy port outside 1..65535.' },
  sim_bad_delay: {
    meaning: 'A simulated Modbus device delay (turnaround, reply delay) outside 0..60000 ms.',
  },
  sim_bad_baud: { meaning: 'A simulated Modbus line or device speed that is not a positive integer.' },
  sim_bad_offset: { meaning: 'A simulated Modbus sensor calibration offset outside -10..10.' },
  sim_profile_read: { meaning: 'A simulator profile file cannot be read.' },
  sim_profile_parse: { meaning: 'A simulator profile file is not YAML or JSON.' },
  sim_profile_invalid: { meaning: 'A simulator profile file fails validation.' },
  sim_closed: { meaning: 'The simulator was closed while something waited on it.' },
  sim_timeout: { meaning: 'The simulator waited too long for a client (e.g. a ROSpec to start).' },
  socat_spawn: { meaning: 'The socat program (for the pseudo-terminal pair) cannot be started; install it.' },
  socat_start: { meaning: 'The socat pseudo-terminal pair did not come up.' },

  // ---- sensor commissioning (coldtrace sensor) ----
  sensor_port_missing: { meaning: 'The serial device of the bus does not exist or cannot be opened.' },
  sensor_no_answer: { meaning: 'No answer from the sensor within the timeout.' },
  sensor_exception: { meaning: 'The sensor answered with a Modbus exception.' },
  sensor_crc_error: { meaning: 'The answer arrived garbled (bad CRC).' },
  sensor_bad_answer: { meaning: 'The request failed for another reason; the message says which.' },
  sensor_address_taken: { meaning: 'Another device already answers at the address asked for.' },
  sensor_calibration_invalid: {
    meaning:
      'A sensor correction the XY-MD02 cannot store (beyond ±10.0 or finer than 0.1); nothing is sent.',
  },
  sensor_verify_failed: { meaning: 'The sensor acknowledged a setup write but reads back something else.' },
  sensor_log_unwritable: {
    meaning: 'The commissioning log cannot be appended to; no change is sent to the sensor.',
  },

  // ---- scenario runner ----
  invalid_scenario: { meaning: 'A scenario file is not YAML/JSON or fails validation.' },
  scenario_event_failed: {
    meaning: 'A scenario event could not be carried out (e.g. no gateway read the portal).',
  },
  scenario_api_failed: { meaning: 'The scenario cloud answered an API call with an error.' },
  scenario_seed_failed: { meaning: 'The scenario master data was not accepted by the cloud.' },
  scenario_cloud_exited: { meaning: 'The scenario cloud process exited.' },
  scenario_cloud_failed: { meaning: 'A request to the scenario cloud process failed.' },
  scenario_gateway_running: { meaning: 'A scenario gateway process was started twice.' },
  scenario_rogue_connect: { meaning: 'The broker refused the rogue publisher of a scenario.' },
  scenario_rogue_timeout: { meaning: 'The broker did not answer the rogue publisher of a scenario.' },
  scenario_not_quiescent: {
    meaning: 'Something in a scenario world stayed in flight, so its discrete-event clock could not move.',
  },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** The HTTP status for an error code; 500 for a code no HTTP request should cause. */
export function httpStatusOf(code: string): number {
  return (isErrorCode(code) ? (ERROR_CODES[code] as ErrorCodeSpec).http : undefined) ?? 500;
}
