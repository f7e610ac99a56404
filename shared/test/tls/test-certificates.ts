import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

export interface TestPki {
  dir: string;
  /** The CA's certificate (trust anchor for clients and for client certificates). */
  caFile: string;
  ca: Buffer;
  /** A server certificate for 127.0.0.1 and localhost. */
  server: IssuedCertificate;
  /** A client certificate with this CN (and a DNS SAN when `san` is given) issued by the CA. */
  client(name: string, opts?: { san?: string }): IssuedCertificate;
  remove(): void;
}

const openssl = (dir: string, args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * A throw-away CA, server and client certificates made by the `openssl` CLI in a temp dir (EC P-256,
 * one day): the test talks real TLS with certificates nobody else trusts.
 */
export function createTestPki(caName = 'coldtrace test CA'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'coldtrace-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    `/CN=${caName}`,
  ]);
  let serial = 1;
  const issue = (base: string, cn: string, ext: string): IssuedCertificate => {
    writeFileSync(join(dir, `${base}.ext`), ext);
    openssl(dir, ['req', ...ec, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(serial++),
      '-days',
      '1',
      '-out',
      `${base}.pem`,
      '-extfile',
      `${base}.ext`,
    ]);
    const certFile = join(dir, `${base}.pem`);
    const keyFile = join(dir, `${base}.key`);
    return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
  };
  const server = issue(
    'server',
    'localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  let clients = 0;
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem')),
    server,
    client: (name, opts = {}) =>
      issue(
        `client-${clients++}`,
        name,
        `${opts.san ? `subjectAltName=DNS:${opts.san}\n` : ''}extendedKeyUsage=clientAuth\n`,
      ),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
