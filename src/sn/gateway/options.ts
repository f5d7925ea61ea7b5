import { topicNameProblem } from '../../protocol/index.js';
import { isReservedSnTopicId } from '../protocol/index.js';

/**
 * Settings of one MQTT-SN gateway listener. The config loader maps
 * `listener PORT [ADDRESS]` + `protocol mqttsn` and the `mqttsn_*` keys onto this;
 * `startSnGateway` fills in defaults for everything left out.
 */
export interface SnGatewayOptions {
  /** UDP port; 0 asks the system for one. Default 1884. */
  port: number;
  /**
   * Address to bind. An IPv6 address binds a `udp6` socket, anything else `udp4`;
   * undefined binds `::` dual-stack (falling back to `0.0.0.0` without IPv6).
   */
  host: string | undefined;
  /** The listener's name in logs, hooks and ACLs. Default `mqttsn:PORT`. */
  name: string | undefined;
  /** GwId of ADVERTISE and GWINFO [MQTT-SN-1.2 5.3.3]. Default 1. */
  gatewayId: number;
  /** Seconds between ADVERTISE broadcasts [MQTT-SN-1.2 6.1]; 0: off (default). */
  advertiseInterval: number;
  /** Where ADVERTISE goes: default `255.255.255.255` (udp4) or `ff02::1` (udp6). */
  advertiseAddress: string | undefined;
  /** Port ADVERTISE goes to; default the gateway's own port. */
  advertisePort: number | undefined;
  /** Topic ids clients may use without REGISTER [MQTT-SN-1.2 6.7]: id -> topic name. */
  predefinedTopics: ReadonlyMap<number, string>;
  /** SN clients tracked at once (connecting, active or asleep). Default 1000. */
  maxClients: number;
  /**
   * SN clients from one IP address (a forwarder's clients share its address). Default 100:
   * one sender cannot take every slot.
   */
  maxClientsPerAddress: number;
  /**
   * Largest keep alive Duration accepted, seconds (CONNECTs asking more, or 0, are refused:
   * CONNACK cannot say otherwise); also bounded by the broker's `max_keepalive`. A client
   * that vanishes holds its slot for 1.5 times this. Default 3600.
   */
  maxKeepAlive: number;
  /** Largest datagram taken or sent, encapsulation included. Default 4096 octets. */
  maxMessageSize: number;
  /**
   * Messages held for a sleeping client [MQTT-SN-1.2 6.14]: QoS 0 in the gateway, and
   * QoS 1/2 in its session queue, each up to this many. Default 100.
   */
  maxBufferedPerSleepingClient: number;
  /** Topic ids one client may have registered. Default 1000. */
  maxTopicIdsPerClient: number;
  /**
   * A client silent for longer than its keep alive (or sleep) duration times this is
   * lost [MQTT-SN-1.2 6.14]. Default 1.5, the margin MQTT allows [MQTT-3.1.2-24].
   */
  keepAliveTolerance: number;
  /** Seconds before an unanswered REGISTER, PUBLISH or PUBREL is sent again [MQTT-SN-1.2 6.13]. Default 10. */
  tRetry: number;
  /** Retransmissions before the client counts as lost [MQTT-SN-1.2 6.13]. Default 3. */
  nRetry: number;
  /** Accept flag bits a message does not use (see `SnDecodeOptions`). Default false. */
  ignoreUnusedFlags: boolean;
}

/** The gateway's defaults, as the spec's section 7.2 suggests where it has an opinion. */
export const defaultSnGatewayOptions: SnGatewayOptions = {
  port: 1884,
  host: undefined,
  name: undefined,
  gatewayId: 1,
  advertiseInterval: 0,
  advertiseAddress: undefined,
  advertisePort: undefined,
  predefinedTopics: new Map(),
  maxClients: 1000,
  maxClientsPerAddress: 100,
  maxKeepAlive: 3600,
  maxMessageSize: 4096,
  maxBufferedPerSleepingClient: 100,
  maxTopicIdsPerClient: 1000,
  keepAliveTolerance: 1.5,
  tRetry: 10,
  nRetry: 3,
  ignoreUnusedFlags: false,
};

/** Fills in defaults and checks every value; throws a one-line message on the first bad one. */
export function resolveSnGatewayOptions(partial: Partial<SnGatewayOptions> = {}): SnGatewayOptions {
  const o: SnGatewayOptions = { ...defaultSnGatewayOptions };
  for (const [key, value] of Object.entries(partial) as Array<[keyof SnGatewayOptions, unknown]>) {
    if (value !== undefined) (o as unknown as Record<string, unknown>)[key] = value;
  }
  checkInt('port', o.port, 0, 65535);
  checkInt('gatewayId', o.gatewayId, 0, 255);
  checkInt('advertiseInterval', o.advertiseInterval, 0, 65535);
  if (o.advertisePort !== undefined) checkInt('advertisePort', o.advertisePort, 1, 65535);
  checkInt('maxClients', o.maxClients, 1, 10_000_000);
  checkInt('maxClientsPerAddress', o.maxClientsPerAddress, 1, 10_000_000);
  checkInt('maxKeepAlive', o.maxKeepAlive, 1, 65535);
  // 7 octets is the smallest PUBLISH; 65535 the largest MQTT-SN message [MQTT-SN-1.2 5.2.1].
  checkInt('maxMessageSize', o.maxMessageSize, 7, 65535);
  checkInt('maxBufferedPerSleepingClient', o.maxBufferedPerSleepingClient, 1, 1_000_000);
  checkInt('maxTopicIdsPerClient', o.maxTopicIdsPerClient, 1, 0xfffe);
  checkInt('nRetry', o.nRetry, 0, 100);
  if (!(o.keepAliveTolerance >= 1 && o.keepAliveTolerance <= 10)) throw new Error('mqttsn: keepAliveTolerance must be from 1 to 10');
  if (!(o.tRetry > 0 && o.tRetry <= 3600)) throw new Error('mqttsn: tRetry must be more than 0 and at most 3600 seconds');
  for (const [id, topic] of o.predefinedTopics) {
    // 0x0000 and 0xFFFF are reserved [MQTT-SN-1.2 5.3.11].
    if (!Number.isInteger(id) || id < 0 || id > 0xffff || isReservedSnTopicId(id)) {
      throw new Error(`mqttsn: predefined topic id ${id} must be from 1 to 65534`);
    }
    const problem = topicNameProblem(topic);
    if (problem) throw new Error(`mqttsn: predefined topic ${id}: ${problem}`);
  }
  return o;
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`mqttsn: ${name} must be an integer from ${min} to ${max}, not ${String(value)}`);
  }
}
