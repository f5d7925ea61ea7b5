import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Errors that mean "no IPv6 here", after which an unspecified host falls back to IPv4. */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT', 'EINVAL']);

/** A bound UDP socket with its address. */
export interface BoundUdpSocket {
  socket: Socket;
  type: SocketType;
  address: string;
  port: number;
}

function bindOne(type: SocketType, address: string, port: number): Promise<BoundUdpSocket> {
  const socket = createSocket({ type });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      const bound = socket.address();
      resolve({ socket, type, address: bound.address, port: bound.port });
    });
  });
}

/**
 * Binds the gateway's socket: `udp6` for an IPv6 address, `udp4` otherwise; a host name
 * is resolved first. Without a host it binds `::`, which takes IPv4 too on dual-stack
 * systems, and `0.0.0.0` where there is no IPv6. Rejects with a one-line message
 * naming the listener (e.g. port in use).
 */
export async function bindUdp(host: string | undefined, port: number, name: string): Promise<BoundUdpSocket> {
  try {
    if (host === undefined) {
      try {
        return await bindOne('udp6', '::', port);
      } catch (err) {
        if (!NO_IPV6.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        return await bindOne('udp4', '0.0.0.0', port);
      }
    }
    const ip = isIP(host) !== 0 ? host : (await lookup(host)).address;
    return await bindOne(isIP(ip) === 6 ? 'udp6' : 'udp4', ip, port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw Object.assign(new Error(`listener ${name}: cannot listen on ${host ?? '*'}:${port}/udp: ${e.code ?? e.message}`), { code: e.code });
  }
}
