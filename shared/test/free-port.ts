import { createServer } from 'node:net';

/** The ports `freePort` handed out in this process. */
const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1 (bound and released; the caller or a process it starts binds it later), never
 * one handed out before in this process: Linux may give a released port to the next bind to port 0 (here
 * 6 picks in a row repeated one in 3 of 1,000 tries), and a RabbitMQ node's AMQP, MQTT and distribution
 * ports, or a cloud's port picked before the node's, would then clash.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}
