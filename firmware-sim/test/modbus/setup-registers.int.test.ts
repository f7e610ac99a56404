import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { type ModbusSimulator, startModbusSimulator } from '../../src/modbus/simulator.js';
import { socatMissing } from '../../src/modbus/socat-pair.js';

// The XY-MD02 setup holding registers over a real pty, with modbus-serial as the master.

const skip = socatMissing();
if (skip) console.warn(`[skip] XY-MD02 setup registers: ${skip}`);

let sim: ModbusSimulator | undefined;
let client: ModbusRTU | undefined;
afterEach(async () => {
  const c = client;
  if (c?.isOpen) await new Promise<void>((res) => c.close(() => res()));
  await sim?.close();
  sim = undefined;
  client = undefined;
});

async function rig() {
  sim = await startModbusSimulator({
    sensors: [
      { address: 5, profile: { kind: 'steady', tempC: 4, rh: 60 } },
      { address: 6, profile: { kind: 'steady', tempC: -18, rh: 30 } },
    ],
  });
  const c = new ModbusRTU();
  await c.connectRTUBuffered(sim.devicePath, { baudRate: 9600 });
  c.setTimeout(300);
  client = c;
  const at = (id: number) => {
    c.setID(id);
    return c;
  };
  return { sim, at };
}

describe.skipIf(skip)('simulated XY-MD02 setup registers', () => {
  it('FC03 reads address, baud code and corrections; corrections written with FC06 apply at once', async () => {
    const { at } = await rig();
    expect((await at(5).readHoldingRegisters(0x0101, 4)).data).toEqual([5, 0, 0, 0]);
    expect((await at(5).readInputRegisters(1, 2)).data).toEqual([40, 600]);
    await at(5).writeRegister(0x0103, 15); // +1.5 °C
    await at(5).writeRegister(0x0104, 0x10000 - 20); // −2.0 %RH
    expect((await at(5).readHoldingRegisters(0x0101, 4)).data).toEqual([5, 0, 15, 0xffec]);
    expect((await at(5).readInputRegisters(1, 2)).data).toEqual([55, 580]);
    // the other sensor keeps its own setup
    expect((await at(6).readInputRegisters(1, 2)).buffer.readInt16BE(0)).toBe(-180);
  });

  it('a new address is stored at once and used after a power cycle', async () => {
    const { sim, at } = await rig();
    await at(5).writeRegister(0x0101, 9);
    expect(sim.setup(5)).toMatchObject({ active: { address: 5 }, stored: { address: 9 } });
    expect((await at(5).readHoldingRegisters(0x0101, 1)).data).toEqual([9]);
    await expect(at(9).readInputRegisters(1, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    sim.powerCycle();
    expect((await at(9).readInputRegisters(1, 1)).data).toEqual([40]);
    await expect(at(5).readInputRegisters(1, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
  });

  it('a new baud rate is used after a power cycle: silent at the old speed, answering at the new', async () => {
    const { sim, at } = await rig();
    await at(6).writeRegister(0x0102, 2);
    expect((await at(6).readHoldingRegisters(0x0102, 1)).data).toEqual([2]);
    sim.powerCycle(6);
    expect(sim.setup(6).active.baudRate).toBe(19200);
    await expect(at(6).readInputRegisters(1, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    expect((await at(5).readInputRegisters(1, 1)).data).toEqual([40]);
    sim.setLineBaud(19200);
    expect((await at(6).readInputRegisters(1, 1)).buffer.readInt16BE(0)).toBe(-180);
    await expect(at(5).readInputRegisters(1, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
  });

  it('refuses values out of range (exception 3) and registers it lacks (exception 2), storing nothing', async () => {
    const { sim, at } = await rig();
    for (const [register, value] of [
      [0x0101, 0],
      [0x0101, 248],
      [0x0102, 3],
      [0x0103, 101],
      [0x0104, 0x10000 - 101],
    ] as const) {
      await expect(at(5).writeRegister(register, value)).rejects.toMatchObject({ modbusCode: 3 });
    }
    await expect(at(5).writeRegister(0x0105, 1)).rejects.toMatchObject({ modbusCode: 2 });
    expect(sim.setup(5).stored).toEqual({ address: 5, baudRate: 9600, tempOffsetC: 0, rhOffset: 0 });
  });

  it('a power cycle that would put two devices on one address is refused', async () => {
    const { sim, at } = await rig();
    await at(5).writeRegister(0x0101, 6);
    expect(() => sim.powerCycle(5)).toThrow(/address 6 used twice/);
    expect(sim.setup(5).active.address).toBe(5);
    expect((await at(5).readInputRegisters(1, 1)).data).toEqual([40]);
  });
});
