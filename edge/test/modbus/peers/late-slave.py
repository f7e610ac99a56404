#!/usr/bin/env python3
"""An independent Modbus RTU slave for the gateway's tests: pymodbus (Debian python3-pymodbus 3.0).

usage: late-slave.py PORT --unit N [--unit N ...] [--late N --late-ms MS [--late-every K]] [--baud B]

Each --unit serves XY-MD02 input registers (1: temperature x 10, 2: humidity x 10). Every read gets a
new temperature (unit x 100 + the unit's read count), so a stored reading tells which request it
answers. The --late unit answers its 1st read and every K-th after it (K = --late-every, default 2:
the 1st, 3rd, 5th...; 1: all) --late-ms late, without holding up the other units. An address not served gets no answer (a dead sensor). Prints "ready" once listening, then one
JSON line per answer sent: {"unit": 2, "temp": 203, "late": true}. Runs until killed.
"""
import argparse
import asyncio
import json
import sys

from pymodbus.datastore import ModbusServerContext, ModbusSequentialDataBlock, ModbusSlaveContext
from pymodbus.server.async_io import ModbusSerialServer, ModbusSingleRequestHandler
from pymodbus.transaction import ModbusRtuFramer

args = argparse.ArgumentParser()
args.add_argument("port")
args.add_argument("--unit", type=int, action="append", required=True)
args.add_argument("--late", type=int)
args.add_argument("--late-ms", type=int, default=0)
args.add_argument("--late-every", type=int, default=2)
args.add_argument("--baud", type=int, default=9600)
opts = args.parse_args()


class CountingRegisters(ModbusSequentialDataBlock):
    """Input registers whose temperature moves on with every read of them."""

    def __init__(self, unit):
        super().__init__(0, [0] * 8)
        self.unit = unit
        self.reads = 0

    def getValues(self, address, count=1):
        self.reads += 1
        values = {1: self.unit * 100 + self.reads, 2: 450}
        return [values.get(a, 0) for a in range(address, address + count)]


class LateHandler(ModbusSingleRequestHandler):
    """Sends the late unit's 1st, (1+K)th... answers after --late-ms; everything else at once."""

    answers = {}

    def send(self, message, *addr, **kwargs):
        unit = message.unit_id
        n = self.answers[unit] = self.answers.get(unit, 0) + 1
        late = unit == opts.late and (n - 1) % opts.late_every == 0
        registers = getattr(message, "registers", None)

        def out():
            print(json.dumps({"unit": unit, "temp": registers[0] if registers else None, "late": late}))
            sys.stdout.flush()
            super(LateHandler, self).send(message, *addr, **kwargs)

        if late:
            asyncio.get_event_loop().call_later(opts.late_ms / 1000, out)
        else:
            out()


async def main():
    # zero_mode: register addresses as on the wire (Modbus Application Protocol V1.1b3 §4.4).
    slaves = {u: ModbusSlaveContext(ir=CountingRegisters(u), zero_mode=True) for u in opts.unit}
    server = ModbusSerialServer(
        ModbusServerContext(slaves=slaves, single=False),
        framer=ModbusRtuFramer,
        port=opts.port,
        baudrate=opts.baud,
        handler=LateHandler,
    )
    await server.start()
    print("ready")
    sys.stdout.flush()
    await server.serve_forever()


asyncio.run(main())
