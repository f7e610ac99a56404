import net from 'node:net';
import {
  decodeBody,
  decodeRoAccessReport,
  encodeMessage,
  LlrpFramer,
  type LlrpMessage,
  MessageType,
  RESPONSE_OF,
  type TagRead,
} from '@coldtrace/shared/llrp';
import { until } from '@coldtrace/shared/testing';

/**
 * A raw LLRP client over real TCP: sends requests, keeps every message received in order (reports
 * decoded by the fast path into `reads`), and answers nothing by itself.
 */
export async function rawClient(port: number, closers: (() => unknown)[]) {
  const sock = net.connect(port, '127.0.0.1');
  closers.push(() => sock.destroy());
  const got: LlrpMessage[] = [];
  const reports: TagRead[][] = [];
  // Any version: a reader answers an unsupported version in that version (LLRP 1.0.1 §16.1.35).
  const f = new LlrpFramer(
    (frame, type, id, version) => {
      got.push(decodeBody(type, id, frame.subarray(10), version));
      if (type === MessageType.RO_ACCESS_REPORT) reports.push(decodeRoAccessReport(Buffer.from(frame)));
    },
    { anyVersion: true },
  );
  let ended = false;
  sock.on('close', () => {
    ended = true;
  });
  sock.on('data', (c) => f.push(c));
  sock.on('error', () => {});
  await new Promise((r) => sock.once('connect', r));
  const response = async (id: number, type?: number) => {
    await until(
      () =>
        got.some(
          (g) => g.id === id && (type === undefined ? g.type !== MessageType.KEEPALIVE : g.type === type),
        ),
      `a response to message ${id}`,
    );
    return got.find(
      (g) => g.id === id && (type === undefined ? g.type !== MessageType.KEEPALIVE : g.type === type),
    )!;
  };
  const req = async (m: LlrpMessage) => {
    sock.write(encodeMessage(m));
    return response(m.id, RESPONSE_OF[m.type]);
  };
  return {
    sock,
    got,
    reports,
    req,
    response,
    send: (m: LlrpMessage) => sock.write(encodeMessage(m)),
    /** The reader closed the connection. */
    closed: () => ended,
  };
}
