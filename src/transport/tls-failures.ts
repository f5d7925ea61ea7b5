import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Broker } from '../broker/index.js';

/** What a failed TLS handshake means, by OpenSSL's (Node's) error code. */
const REASONS: Readonly<Record<string, string>> = {
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'TLS handshake: the client sent no certificate and this listener requires one (require_certificate true)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake: the client does not speak TLS (a plain MQTT client on a TLS port?)',
  ERR_SSL_HTTP_REQUEST: 'TLS handshake: an HTTP request on a TLS port',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'TLS handshake: the client does not trust the CA that signed this listener\'s certfile',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'TLS handshake: the client rejected this listener\'s certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'TLS handshake: the client rejected this listener\'s certificate (wrong host name or CA?)',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'TLS handshake: no TLS version in common (see tls_version)',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'TLS handshake: no TLS version in common (see tls_version)',
  ERR_SSL_NO_SHARED_CIPHER: 'TLS handshake: no cipher in common (see ciphers)',
  ERR_SSL_CERTIFICATE_VERIFY_FAILED: 'TLS handshake: the client\'s certificate is not signed by this listener\'s CA (cafile/capath) or is not valid',
  ECONNRESET: 'TLS handshake: the client closed the connection (it may not trust this listener\'s certificate)',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'TLS handshake: not finished in time',
};

/** The reason for a failed TLS handshake, in words, with OpenSSL's own where midge has none. */
export function describeTlsFailure(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const known = REASONS[code];
  if (known) return known;
  const reason = err.message.split(':').filter((part) => part.trim() !== '').at(-1)?.trim() ?? err.message;
  if (code.includes('CERTIFICATE') || /certificate/i.test(reason)) return `TLS handshake: the client's certificate was not accepted (${reason})`;
  return `TLS handshake failed (${reason})`;
}

/**
 * Reports a TLS listener's failed handshakes to the broker (counted, logged once per
 * source a minute), and closes their sockets: with a `tlsClientError` listener Node
 * leaves the socket open, so a client that never sends a ClientHello would hold its
 * descriptor past the handshake timeout. A socket the client reset has lost its
 * address by then: it is read from the TCP socket underneath, which keeps it.
 */
export function reportTlsFailures(server: { on(event: 'tlsClientError', listener: (err: Error, socket: TLSSocket) => void): unknown }, broker: Broker, listener: () => string): void {
  server.on('tlsClientError', (err, socket) => {
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    broker.connectionFailed({
      listener: listener(),
      remoteAddress: socket.remoteAddress ?? raw?.remoteAddress ?? 'unknown',
      remotePort: socket.remotePort ?? raw?.remotePort,
    }, 'tls', describeTlsFailure(err));
    socket.destroy();
  });
}
