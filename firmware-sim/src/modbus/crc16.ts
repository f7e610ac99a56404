/**
 * CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF).
 * Modbus over serial line V1.02 §2.5.1.2 and Appendix B: the CRC is appended low byte first.
 */
export function crc16(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** `payload` followed by its CRC (low byte first). */
export function withCrc(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(payload.length + 2);
  out.set(payload);
  out.writeUInt16LE(crc16(payload), payload.length);
  return out;
}

/** True when the last two bytes are the CRC of the rest. */
export function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  return b.readUInt16LE(frame.length - 2) === crc16(frame.subarray(0, frame.length - 2));
}
