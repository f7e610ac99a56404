import net from 'node:net';
import { decodeBody, encodeMessage } from '@coldtrace/edge/llrp/codec';
import { MessageType, StatusCode } from '@coldtrace/edge/llrp/constants';
import { LlrpFramer } from '@coldtrace/edge/llrp/framer';
import { buildROSpec, message, statusOf } from '@coldtrace/edge/llrp/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLlrpScenario } from '../../src/llrp/cli.js';
import { startLlrpSimulator } from '../../src/llrp/simulator.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** A raw LLRP client: sends requests, collects responses by message ID. */
async function rawClient(port: number) {
  const sock = net.connect(port, '127.0.0.1');
  closers.push(() => void sock.destroy());
  const got: ReturnType<typeof decodeBody>[] = [];
  const f = new LlrpFramer((frame, type, id) => got.push(decodeBody(type, id, frame.subarray(10))));
  sock.on('data', (c) => f.push(c));
  await new Promise((r) => sock.once('connect', r));
  const req = async (m: Parameters<typeof encodeMessage>[0]) => {
    sock.write(encodeMessage(m));
    const end = Date.now() + 3000;
    while (Date.now() < end) {
      const r = got.find((g) => g.id === m.id && g.type !== MessageType.KEEPALIVE);
      if (r) return r;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`no response to ${m.id}`);
  };
  return { sock, got, req };
}

describe('LLRP reader simulator', () => {
  it('announces the connection, sends keepalives and enforces the ROSpec state machine', async () => {
    const sim = await startLlrpSimulator({ keepaliveMs: 100 });
    closers.push(() => sim.close());
    const c = await rawClient(sim.port);
    await new Promise((r) => setTimeout(r, 350));
    expect(c.got[0]?.type).toBe(MessageType.READER_EVENT_NOTIFICATION);
    expect(c.got.filter((g) => g.type === MessageType.KEEPALIVE).length).toBeGreaterThanOrEqual(2);
    const code = async (m: Parameters<typeof encodeMessage>[0]) => statusOf(await c.req(m)).code;
    expect(await code(message(MessageType.START_ROSPEC, 10, { ROSpecID: 5 }))).toBe(StatusCode.A_Invalid);
    expect(await code(message(MessageType.ADD_ROSPEC, 11, {}, []))).toBe(StatusCode.M_MissingParameter);
    const spec = buildROSpec({ rospecId: 5, antennas: [0], reportEveryTags: 1 });
    expect(await code(message(MessageType.ADD_ROSPEC, 12, {}, [spec]))).toBe(0);
    expect(await code(message(MessageType.ADD_ROSPEC, 13, {}, [spec]))).toBe(StatusCode.A_Invalid);
    expect(await code(message(MessageType.START_ROSPEC, 14, { ROSpecID: 5 }))).toBe(StatusCode.A_Invalid); // disabled
    expect(await code(message(MessageType.ENABLE_ROSPEC, 15, { ROSpecID: 5 }))).toBe(0);
    expect(await code(message(MessageType.START_ROSPEC, 16, { ROSpecID: 5 }))).toBe(0);
    expect(await code(message(MessageType.STOP_ROSPEC, 17, { ROSpecID: 5 }))).toBe(0);
    expect(await code(message(MessageType.STOP_ROSPEC, 18, { ROSpecID: 5 }))).toBe(StatusCode.A_Invalid);
    expect(await code(message(MessageType.DELETE_ROSPEC, 19, { ROSpecID: 0 }))).toBe(0);
    const err = await c.req({ ...message(160, 20), raw: new Uint8Array(0) });
    expect(err.type).toBe(MessageType.ERROR_MESSAGE);
    expect(statusOf(err).code).toBe(StatusCode.M_UnsupportedMessage);
  });

  it('validates scenario files with clear errors', () => {
    expect(() =>
      loadLlrpScenario(
        'timeline:\n  - atMs: 0\n    action: pass\n    direction: up\n    epcs: [XYZ]',
        'f.yaml',
      ),
    ).toThrow(/f\.yaml is invalid:[\s\S]*timeline\.0\.direction[\s\S]*timeline\.0\.epcs\.0/);
    const s = loadLlrpScenario(
      '{"timeline":[{"atMs":0,"action":"pass","direction":"in","epcs":["3034257BF7194E4000000001"]}]}',
    );
    expect(s.timeline[0]).toMatchObject({ action: 'pass', durationMs: 1500 });
  });
});
