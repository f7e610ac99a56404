import type { PeerCertificate, TLSSocket } from 'node:tls';

/**
 * The names a client certificate gives its holder: the subject CN and the DNS and URI subject alternative
 * names (RFC 5280 §4.2.1.6), as AWS IoT and EMQX bind a device to its certificate.
 */
export function certificateNames(cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'>): string[] {
  const cn = cert.subject?.CN;
  const names = Array.isArray(cn) ? [...cn] : cn ? [cn] : [];
  for (const entry of (cert.subjectaltname ?? '').split(/,\s*/)) {
    const m = /^(DNS|URI):(.+)$/.exec(entry);
    if (m) names.push(m[2]!);
  }
  return names;
}

/**
 * Whether the TLS connection may log in as `account`: without a verified client certificate, only when
 * none is required; with one, only when it names `account`, so a gateway holding its own certificate
 * and a stolen secret of another gateway still cannot publish as that one. Returns the refusal, or null.
 */
export function clientCertificateRefusal(
  socket: TLSSocket,
  account: string,
  required: boolean,
): string | null {
  const cert = socket.authorized ? socket.getPeerCertificate() : undefined;
  if (!cert || Object.keys(cert).length === 0)
    return required ? 'a client certificate issued by the configured CA is required' : null;
  const names = certificateNames(cert);
  return names.includes(account)
    ? null
    : `the client certificate names ${names.map((n) => JSON.stringify(n)).join(', ') || 'nothing'}, not ${JSON.stringify(account)}`;
}
