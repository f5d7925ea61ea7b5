import type { RemoteInfo } from 'node:dgram';
import type { Broker, Disposer, StoredWill } from '../../broker/index.js';
import {
  decodeSnDatagram, encodeSnDatagram, isSnDecodeError, SnMsgType, type SnDatagram, type SnPlainMessage,
} from '../protocol/index.js';
import { handleConnect } from './connect.js';
import { handleTooLarge, handleUnknownSender } from './connectionless.js';
import { addressKey, type SnAddress, type SnGatewayContext } from './context.js';
import { dispatchToClient } from './dispatch.js';
import { resolveSnGatewayOptions, type SnGatewayOptions } from './options.js';
import { SnClientRegistry } from './registry.js';
import { bindUdp, type BoundUdpSocket } from './udp.js';
import { ReasonCode } from '../../protocol/index.js';

/** How often keep alive, sleep and connect deadlines are checked. */
const SWEEP_INTERVAL_MS = 250;
/** How long closing waits for datagrams already handed to the socket. */
const FLUSH_TIMEOUT_MS = 1000;

/** A running MQTT-SN gateway; it has the shape of the server's other bound listeners. */
export interface SnGateway {
  readonly name: string;
  readonly protocol: 'mqttsn';
  /** The UDP port actually bound (useful with port 0). */
  readonly port: number;
  readonly host: string;
  /** Clients tracked now: connecting, active or asleep. */
  readonly clientCount: number;
  /** Datagrams dropped because they were not well-formed MQTT-SN. */
  readonly malformedCount: number;
  /**
   * Stops taking datagrams and ends every client with a DISCONNECT. When the broker
   * closes in the same turn (server shutdown) it ends them first and their sessions keep
   * their wills for the restart; otherwise the clients count as lost.
   */
  close(): Promise<void>;
}

/**
 * Starts an MQTT-SN v1.2 gateway on a UDP port, in the broker's process: each SN client
 * is a broker session, so SN and MQTT clients share topics, retained messages, wills,
 * ACLs and persistent sessions. Call after `broker.start()`.
 */
export async function startSnGateway(broker: Broker, options: Partial<SnGatewayOptions> = {}): Promise<SnGateway> {
  const resolved = resolveSnGatewayOptions(options);
  const name = resolved.name ?? `mqttsn:${resolved.port}`;
  const bound = await bindUdp(resolved.host, resolved.port, name);
  return new SnGatewayServer(broker, resolved, name, bound);
}

class SnGatewayServer implements SnGateway {
  readonly protocol = 'mqttsn';
  readonly port: number;
  readonly host: string;
  malformedCount = 0;
  private readonly ctx: SnGatewayContext;
  private readonly clients = new SnClientRegistry();
  private readonly sweeper: NodeJS.Timeout;
  private readonly advertiser: NodeJS.Timeout | undefined;
  private readonly disposeHook: Disposer;
  private sending = 0;
  private sent: Array<() => void> = [];
  private closing: Promise<void> | undefined;
  private socketClosed = false;

  constructor(broker: Broker, options: SnGatewayOptions, readonly name: string, private readonly udp: BoundUdpSocket) {
    this.port = udp.port;
    this.host = udp.address;
    const wills = new Map<string, StoredWill>();
    this.ctx = {
      broker, options, listener: name, wills, clients: this.clients,
      logger: broker.logger.child?.({ listener: name }) ?? broker.logger,
      predefinedIds: new Map([...options.predefinedTopics].map(([id, topic]) => [topic, id])),
      send: (to, message, limit = options.maxMessageSize) => this.send(to, message, Math.min(limit, options.maxMessageSize)),
      reply: (to, message, requestSize) => void this.send(to, message, Math.min(requestSize, options.maxMessageSize)),
    };
    // The stored will lives as long as the session [MQTT-SN-1.2 6.3].
    this.disposeHook = broker.hooks.on('sessionEnded', ({ clientId }) => wills.delete(clientId));
    udp.socket.on('message', (datagram, rinfo) => this.onDatagram(datagram, rinfo));
    udp.socket.on('error', (err) => this.ctx.logger.warn({ err }, 'MQTT-SN socket error'));
    this.sweeper = setInterval(() => this.clients.sweep(Date.now()), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    this.advertiser = this.startAdvertising();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  private onDatagram(datagram: Buffer, rinfo: RemoteInfo): void {
    if (this.closing) return;
    this.ctx.broker.stats.bytesReceived += datagram.length;
    let decoded: SnDatagram;
    try {
      decoded = decodeSnDatagram(datagram, { ignoreUnusedFlags: this.ctx.options.ignoreUnusedFlags });
    } catch (err) {
      if (!isSnDecodeError(err)) throw err;
      // Over UDP there is no connection to close: a malformed datagram is dropped [MQTT-SN-1.2 5.2].
      this.malformedCount++;
      this.ctx.logger.debug({ remoteAddress: rinfo.address, code: err.code, reason: err.message }, 'MQTT-SN datagram dropped');
      return;
    }
    const address: SnAddress = {
      address: rinfo.address, port: rinfo.port, forwarder: decoded.forwarder,
      key: addressKey(rinfo.address, rinfo.port, decoded.forwarder),
    };
    try {
      const pending = this.dispatch(address, decoded.message, datagram.length);
      if (pending) pending.catch((err: unknown) => this.ctx.broker.reportError(err, `MQTT-SN ${rinfo.address}:${rinfo.port}`));
    } catch (err) {
      this.ctx.broker.reportError(err, `MQTT-SN ${rinfo.address}:${rinfo.port}`);
    }
  }

  private dispatch(address: SnAddress, message: SnPlainMessage, size: number): void | Promise<void> {
    this.ctx.broker.stats.messagesReceived++;
    // SEARCHGW is answered by GWINFO with our id [MQTT-SN-1.2 6.1]; GWINFO is no larger than SEARCHGW.
    if (message.type === SnMsgType.SEARCHGW) {
      this.ctx.reply(address, { type: SnMsgType.GWINFO, gwId: this.ctx.options.gatewayId }, size);
      return;
    }
    const link = this.clients.get(address.key);
    if (size > this.ctx.options.maxMessageSize) return handleTooLarge(this.ctx, address, link, message, size);
    if (message.type === SnMsgType.CONNECT) return handleConnect(this.ctx, address, message, size);
    if (!link) return handleUnknownSender(this.ctx, address, message, size);
    link.received(size);
    link.heard(Date.now());
    return dispatchToClient(link, message);
  }

  /** Encodes and sends one message; returns its size, 0 (nothing sent) when its datagram exceeds `limit`. */
  private send(to: SnAddress, message: SnPlainMessage, limit: number): number {
    const bytes = encodeSnDatagram({ message, forwarder: to.forwarder });
    if (bytes.length > limit || this.socketClosed) return 0;
    const stats = this.ctx.broker.stats;
    stats.messagesSent++;
    stats.bytesSent += bytes.length;
    this.sending++;
    this.udp.socket.send(bytes, to.port, to.address, (err) => {
      if (err) this.ctx.logger.debug({ err, remoteAddress: to.address }, 'MQTT-SN send failed');
      if (--this.sending === 0) for (const done of this.sent.splice(0)) done();
    });
    return bytes.length;
  }

  /** ADVERTISE every `advertiseInterval` seconds [MQTT-SN-1.2 6.1], when configured. */
  private startAdvertising(): NodeJS.Timeout | undefined {
    const { advertiseInterval, gatewayId } = this.ctx.options;
    if (advertiseInterval === 0) return undefined;
    const v6 = this.udp.type === 'udp6';
    const address = this.ctx.options.advertiseAddress ?? (v6 ? 'ff02::1' : '255.255.255.255');
    const port = this.ctx.options.advertisePort ?? this.port;
    if (!v6) this.udp.socket.setBroadcast(true);
    const target: SnAddress = { address, port, forwarder: undefined, key: '' };
    const advertise = () => this.send(target, { type: SnMsgType.ADVERTISE, gwId: gatewayId, duration: advertiseInterval }, 0xffff);
    advertise();
    const timer = setInterval(advertise, advertiseInterval * 1000);
    timer.unref();
    return timer;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.sweeper);
    clearInterval(this.advertiser);
    this.disposeHook();
    // A broker closing in this same turn ends our clients first, keeping their wills.
    await new Promise((resolve) => setImmediate(resolve));
    for (const link of this.clients.values()) link.close(ReasonCode.ServerShuttingDown, 'gateway closing');
    await new Promise<void>((resolve) => {
      if (this.sending === 0) return resolve();
      this.sent.push(resolve);
      setTimeout(resolve, FLUSH_TIMEOUT_MS).unref();
    });
    this.socketClosed = true;
    await new Promise<void>((resolve) => this.udp.socket.close(() => resolve()));
  }
}
