import { type AddressInfo, createServer } from 'node:net';

/** `preferred` if nothing listens there now, else a free ephemeral port. */
export async function portOrFree(preferred: number, host = '0.0.0.0'): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(null));
      srv.listen(port, host, () => {
        const got = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(got));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0))!;
}
