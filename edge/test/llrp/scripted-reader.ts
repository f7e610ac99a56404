/**
 * A scripted LLRP reader over real TCP for connector tests: each connection decodes what the client
 * sends and lets the test decide what to answer, byte for byte, when and in which TCP chunks.
 */
import net from 'node:net';
import {
  decodeBody,
  encodeMessage,
  LlrpFramer,
  type LlrpMessage,
  type LlrpParam,
  MessageType,
  message,
  ParamType,
  param,
  RESPONSE_OF,
  readerEventNotification,
  statusParam,
} from '@coldtrace/shared/llrp';

export interface ScriptedConnection {
  readonly index: number;
  readonly sock: net.Socket;
  /** Everything the client sent on this connection, decoded, in order. */
  readonly received: LlrpMessage[];
  closed: boolean;
  /** Called for each message the client sends; default: `answer` every request with M_Success. */
  onRequest: (req: LlrpMessage) => void;
  write(bytes: Buffer | LlrpMessage): void;
  /** The M_Success (or `code`) response to `req`, echoing its message ID. */
  responseTo(req: LlrpMessage, code?: number, params?: LlrpParam[]): Buffer;
  answer(req: LlrpMessage): void;
  /** READER_EVENT_NOTIFICATION with ConnectionAttemptEvent (LLRP 1.0.1 §17.1.3). */
  greet(status?: number): void;
}

export interface ScriptedReader {
  port: number;
  connections: ScriptedConnection[];
  close(): Promise<void>;
}

export function connectionAttempt(id: number, status: number): LlrpMessage {
  return readerEventNotification(
    id,
    Date.now() * 1000,
    param(ParamType.ConnectionAttemptEvent, { Status: status }),
  );
}

/** `onConnection` scripts each accepted connection (default: greet with success, answer everything). */
export async function startScriptedReader(
  onConnection: (c: ScriptedConnection) => void = (c) => c.greet(),
): Promise<ScriptedReader> {
  const connections: ScriptedConnection[] = [];
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    sock.on('error', () => {});
    const conn: ScriptedConnection = {
      index: connections.length,
      sock,
      received: [],
      closed: false,
      onRequest: (req) => conn.answer(req),
      write(bytes) {
        if (sock.destroyed) return;
        sock.write(Buffer.isBuffer(bytes) ? bytes : encodeMessage(bytes));
      },
      responseTo(req, code = 0, params = []) {
        const type = RESPONSE_OF[req.type];
        if (type === undefined) throw new Error(`message type ${req.type} has no response`);
        return encodeMessage(message(type, req.id, {}, [statusParam(code), ...params]));
      },
      answer(req) {
        if (RESPONSE_OF[req.type] !== undefined) conn.write(conn.responseTo(req));
      },
      greet(status = 0) {
        conn.write(connectionAttempt(900 + conn.index, status));
      },
    };
    connections.push(conn);
    const framer = new LlrpFramer((frame, type, id) => {
      const m = decodeBody(type, id, frame.subarray(10));
      conn.received.push(m);
      if (type !== MessageType.KEEPALIVE_ACK) conn.onRequest(m);
    });
    sock.on('data', (c) => framer.push(c));
    sock.on('close', () => {
      conn.closed = true;
    });
    onConnection(conn);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    connections,
    async close() {
      for (const c of connections) c.sock.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Writes `bytes` as separate TCP segments cut at `cuts` (offsets), with a pause so they arrive apart. */
export async function writeInPieces(sock: net.Socket, bytes: Buffer, cuts: number[]): Promise<void> {
  let p = 0;
  for (const c of [...cuts, bytes.byteLength]) {
    if (c <= p) continue;
    sock.write(bytes.subarray(p, c));
    p = c;
    // Not a wait for a result: the peer must put the pieces in separate TCP segments, read apart.
    await new Promise((r) => setTimeout(r, 15));
  }
}
