import { readFileSync } from 'node:fs';

/** PEM contents of a TLS listener's files. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** CA bundle that client certificates must chain to (mutual TLS). */
  ca?: Buffer;
}

/**
 * Reads the files a `tls` config section names, at start: a missing or unreadable file stops the cloud
 * with the config path and the file, instead of a listener that cannot complete a handshake.
 */
export function readTlsFiles(
  section: string,
  files: { certFile: string; keyFile: string; clientCa?: string | undefined },
): TlsMaterial {
  const read = (field: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`${section}.${field}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return {
    cert: read('certFile', files.certFile),
    key: read('keyFile', files.keyFile),
    ...(files.clientCa !== undefined ? { ca: read('clientCa', files.clientCa) } : {}),
  };
}
