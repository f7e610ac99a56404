/**
 * Time on a serial line, for a simulator whose pseudo-terminal delivers bytes at once. Modbus over
 * Serial Line V1.02 §2.5.1: an RTU character is 11 bits (start, 8 data, parity or a second stop, stop).
 */
export function charTimeMs(baudRate: number): number {
  return 11_000 / baudRate;
}

/** §2.5.1.1: the silence that ends a frame, 3.5 characters; fixed at 1.75 ms above 19,200 baud. */
export function t35Ms(baudRate: number): number {
  return baudRate > 19_200 ? 1.75 : 3.5 * charTimeMs(baudRate);
}

/**
 * From the master starting to send a request to it having the whole answer: the request on the wire,
 * the silence by which the device knows the request ended, the device's turnaround, the answer on the
 * wire. At 9,600 baud a two-register read (8 + 9 bytes) takes about 24 ms plus the turnaround.
 */
export function exchangeMs(
  baudRate: number,
  requestBytes: number,
  answerBytes: number,
  turnaroundMs: number,
): number {
  return (requestBytes + answerBytes) * charTimeMs(baudRate) + t35Ms(baudRate) + turnaroundMs;
}
