import type net from 'node:net';
import { errorMessage } from '@coldtrace/shared';
import {
  decodeBody,
  LLRP_HEADER_BYTES,
  LLRP_VERSION,
  LlrpFramer,
  type LlrpMessage,
  MessageType,
  message,
  RESPONSE_OF,
  StatusCode,
  statusParam,
} from '@coldtrace/shared/llrp';
import { undecodableRequestStatus } from './reader-requests.js';

// How the simulated reader (`simulator.ts`) reads a client's byte stream into requests, and what it
// answers to what it cannot read; the requests themselves are `reader-requests.ts`'s.

export interface RequestStreamHooks {
  /** Whether the socket is still the reader's client: a replaced connection's bytes are not read. */
  current(): boolean;
  send(msg: LlrpMessage): void;
  /** An ERROR_MESSAGE or error status is being sent (the simulator's `errorsSent`). */
  countError(): void;
  onRequest(req: LlrpMessage): void;
}

/** Reads the client's requests from `sock` and hands each decoded one to `hooks.onRequest`. */
export function readRequests(sock: net.Socket, hooks: RequestStreamHooks): void {
  const framer = new LlrpFramer(
    (frame, type, id, version) => {
      if (version !== LLRP_VERSION) {
        // LLRP 1.0.1 §16.1.35: ERROR_MESSAGE in the received version with its message ID and
        // M_UnsupportedVersion, no sub-parameters; the connection carries on.
        hooks.countError();
        const status = statusParam(
          StatusCode.M_UnsupportedVersion,
          `LLRP version ${version} is not supported; this reader speaks version ${LLRP_VERSION}`,
        );
        hooks.send({ ...message(MessageType.ERROR_MESSAGE, id, {}, [status]), version });
        return;
      }
      let req: LlrpMessage;
      try {
        req = decodeBody(type, id, frame.subarray(LLRP_HEADER_BYTES));
      } catch (err) {
        hooks.countError();
        const status = undecodableRequestStatus(err);
        const rtype = RESPONSE_OF[type];
        hooks.send(message(rtype ?? MessageType.ERROR_MESSAGE, id, {}, [status]));
        return;
      }
      hooks.onRequest(req);
    },
    { anyVersion: true },
  );
  sock.on('data', (chunk: Buffer) => {
    if (!hooks.current()) return;
    try {
      framer.push(chunk);
    } catch (err) {
      // No message boundary can be trusted any more (LLRP has no sync marker): say so and close.
      hooks.countError();
      hooks.send(
        message(MessageType.ERROR_MESSAGE, 0, {}, [
          statusParam(StatusCode.M_ParameterError, errorMessage(err).slice(0, 200)),
        ]),
      );
      sock.end();
    }
  });
}
