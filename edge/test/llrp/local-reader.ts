/** Connection settings of a connector under test and a reader on this machine: 2 s timeouts, no keepalives. */
export const localReader = (port: number) => ({
  host: '127.0.0.1',
  port,
  connectTimeoutMs: 2000,
  keepaliveMs: 0,
  responseTimeoutMs: 2000,
});
