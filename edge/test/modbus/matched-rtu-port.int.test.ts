import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtuFramer, type SocatPair, socatMissing, startSocatPair, withCrc } from '@coldtrace/firmware-sim';
import { systemClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import ModbusRTU from 'modbus-serial';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { onClockDeadline } from '../../src/modbus/clock-deadline.js';
import { type Discarded, MatchedRtuPort } from '../../src/modbus/matched-rtu-port.js';

const skip = socatMissing();
if (skip) console.warn(`[skip] matched RTU port over a pty: ${skip}`);

/** A slave side the test drives byte by byte: it sees each request frame and writes what the test says. */
async function rig() {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-port-'));
  const pair: SocatPair = await startSocatPair(join(dir, 'gw'), join(dir, 'slave'));
  const slave = new SerialPort({ path: pair.simPath, baudRate: 9600, autoOpen: false });
  await new Promise<void>((res, rej) => slave.open((e) => (e ? rej(e) : res())));
  const requests: Buffer[] = [];
  const framer = new RtuFramer(
    (f) => requests.push(f),
    () => {},
  );
  slave.on('data', (d: Buffer) => framer.push(d));
  const discarded: Discarded[] = [];
  const port = new MatchedRtuPort(pair.gatewayPath, {
    baudRate: 9600,
    parity: 'none',
    stopBits: 1,
    dataBits: 8,
    now: () => Date.now(),
    onDiscard: (d) => discarded.push(d),
  });
  const client = new ModbusRTU(port);
  await new Promise<void>((res, rej) => client.open((e: unknown) => (e ? rej(e) : res())));
  client.setTimeout(0);
  const send = (bytes: Buffer) =>
    new Promise<void>((res) => slave.write(bytes, () => slave.drain(() => res())));
  /** Reads 2 input registers from 1 of `unit`, timed out after `ms` as the bus module does. */
  const read = (unit: number, ms = 2000) => {
    client.setID(unit);
    return onClockDeadline(client.readInputRegisters(1, 2), systemClock, ms, () => port.abandon());
  };
  const close = async () => {
    await new Promise<void>((res) => client.close(() => res()));
    framer.stop();
    if (slave.isOpen) await new Promise<void>((res) => slave.close(() => res()));
    await pair.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { requests, discarded, send, read, close };
}
type Rig = Awaited<ReturnType<typeof rig>>;

const answer = (unit: number, t: number, rh: number) =>
  withCrc(Buffer.from([unit, 0x04, 0x04, t >> 8, t & 0xff, rh >> 8, rh & 0xff]));

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe.skipIf(skip !== null)('MatchedRtuPort under modbus-serial, over a real pty', () => {
  it('clears what arrived before a request: a stale answer is never the answer to the next one', async () => {
    r = await rig();
    await r.send(answer(1, 210, 350));
    // Reported on arrival (no request was in flight): it is in the gateway's hands before the request.
    await until(() => r!.discarded.length === 1, 'the stale frame received');
    expect(r.discarded).toEqual([{ kind: 'unmatched', address: 1, functionCode: 4 }]);
    const reading = r.read(1);
    await until(() => r!.requests.length === 1, 'the request');
    await r.send(answer(1, 211, 351));
    expect((await reading).data).toEqual([211, 351]);
  });

  it('discards and counts the late answer of a timed-out request that arrives during the next request', async () => {
    r = await rig();
    await expect(r.read(2, 100)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    const reading = r.read(3);
    await until(() => r!.requests.length === 2, 'both requests');
    expect(r.requests.map((f) => f[0])).toEqual([2, 3]);
    await r.send(answer(2, 100, 1));
    await until(() => r!.discarded.length === 1, 'the late frame received');
    await r.send(answer(3, 300, 3));
    expect((await reading).data).toEqual([300, 3]);
    expect(r.discarded).toEqual([{ kind: 'late', address: 2, afterMs: expect.any(Number) }]);
    expect((r.discarded[0] as { afterMs: number }).afterMs).toBeGreaterThanOrEqual(100);
  });

  it('a late answer of the same address is still late when it comes before that address is asked again', async () => {
    r = await rig();
    await expect(r.read(2, 100)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    await r.send(answer(2, 100, 1));
    await until(() => r!.discarded.length === 1, 'the late frame received');
    expect(r.discarded[0]).toMatchObject({ kind: 'late', address: 2 });
    const reading = r.read(2);
    await until(() => r!.requests.length === 2, 'the second request');
    await r.send(answer(2, 101, 1));
    expect((await reading).data).toEqual([101, 1]);
  });

  it('passes exceptions (§7) and garbled answers (§2.5.1.2) to the client, skipping noise and the echo', async () => {
    r = await rig();
    let reading = r.read(5);
    await until(() => r!.requests.length === 1, 'request 1');
    // Expected before the answer is sent: the read may fail before send() returns, and a rejection
    // nothing handles yet is an unhandled one.
    let failed = expect(reading).rejects.toMatchObject({ modbusCode: 2 });
    await r.send(withCrc(Buffer.from([5, 0x84, 0x02])));
    await failed;

    reading = r.read(5);
    await until(() => r!.requests.length === 2, 'request 2');
    const garbled = answer(5, 1, 1);
    garbled[3]! ^= 0x40;
    failed = expect(reading).rejects.toThrow('CRC error');
    await r.send(garbled);
    await failed;

    reading = r.read(5);
    await until(() => r!.requests.length === 3, 'request 3');
    // Line noise, then the adapter's echo of the request, then the answer.
    await r.send(Buffer.concat([Buffer.from([0xff, 0x00]), r.requests[2]!, answer(5, 42, 7)]));
    expect((await reading).data).toEqual([42, 7]);
    expect(r.discarded).toEqual([{ kind: 'noise', bytes: 2 }]);
  });
});
