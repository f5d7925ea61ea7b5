import type { Broker, Logger, StoredWill } from '../../broker/index.js';
import type { SnForwarder, SnPlainMessage } from '../protocol/index.js';
import type { SnGatewayOptions } from './options.js';
import type { SnClientRegistry } from './registry.js';

/**
 * Where a client is: the UDP address and port its datagrams come from and, behind a
 * forwarder, the forwarder's Wireless Node Id for it [MQTT-SN-1.2 5.5]. Replies go
 * back the same way, encapsulated with the same node id.
 */
export interface SnAddress {
  readonly address: string;
  readonly port: number;
  readonly forwarder: SnForwarder | undefined;
  /** One string per client: address, port and node id. */
  readonly key: string;
}

/** The key of an address: a forwarder's clients share its UDP address and differ by node id. */
export function addressKey(address: string, port: number, forwarder: SnForwarder | undefined): string {
  const base = `${address}|${port}`;
  return forwarder === undefined ? base : `${base}|${forwarder.wirelessNodeId.toString('hex')}`;
}

/**
 * What the gateway shares with its clients and handlers: the broker, the settings and
 * the one way out to the network.
 */
export interface SnGatewayContext {
  readonly broker: Broker;
  readonly options: SnGatewayOptions;
  readonly logger: Logger;
  /** The listener's name (logs, hooks, ACLs). */
  readonly listener: string;
  /** Predefined topics by name, to publish to clients with their predefined id [MQTT-SN-1.2 6.7]. */
  readonly predefinedIds: ReadonlyMap<string, number>;
  /**
   * Will data the gateway keeps per client id for the life of the session, since
   * CONNECT with CleanSession 0 and Will 0 reuses it [MQTT-SN-1.2 6.3].
   */
  readonly wills: Map<string, StoredWill>;
  readonly clients: SnClientRegistry;
  /**
   * Sends a message; returns the bytes sent, 0 when its datagram would exceed the maximum
   * message size or `limit`.
   */
  send(to: SnAddress, message: SnPlainMessage, limit?: number): number;
  /**
   * Answers a sender that has no connection: sent only when its datagram is no larger
   * than the request's `requestSize`, so the gateway never amplifies a spoofed request.
   */
  reply(to: SnAddress, message: SnPlainMessage, requestSize: number): void;
}
