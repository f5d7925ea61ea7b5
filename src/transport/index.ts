/** Transport adapters: the listeners that hand byte streams to the broker core. */
export { listenTcp, bind, socketInfo, type BoundListener, type TcpListenerOptions } from './tcp.js';
export { listenTls, type ReloadableListener } from './tls.js';
export { listenWebSocket, type WsListenerOptions } from './ws.js';
export { readTlsContext, peerCertificate, type TlsFiles } from './tls-context.js';
export { readRevokedCertificates } from './crl.js';
export type { ListenerCommon } from './listener.js';
