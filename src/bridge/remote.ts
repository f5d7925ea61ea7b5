import { ConnectionRefusedError, type ClientOptions, type MqttClient } from '../client/index.js';
import type { BrokerLimits } from '../broker/index.js';
import { ConnackReturnCode, PacketType, ReasonCode, reasonCodeName } from '../protocol/index.js';
import type { BridgeConfig } from './options.js';
import { bridgeTlsOptions } from './tls.js';

/** A session that outlives every connection: what `cleansession false` asks of a v5 remote. */
const NEVER_EXPIRES = 0xffffffff;

/** Longest wait for the remote's CONNACK, as for any of midge's clients. */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * The client options of one connection attempt to the remote: mosquitto's bridge CONNECT
 * (client id, clean session, keep alive, credentials, the state will when notifications
 * are on, the bridge bit for `try_private`), TLS read from its files now, and the publish
 * flows kept by the bridge, whose local session holds their state.
 */
export function remoteClientOptions(config: BridgeConfig, limits: BrokerLimits, announceBridge: boolean): ClientOptions {
  const options: ClientOptions = {
    protocolVersion: config.protocolVersion,
    clientId: config.remoteClientId,
    clean: config.cleanSession,
    keepAlive: config.keepAlive,
    reconnect: false,
    resubscribe: false,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    publishFlows: 'application',
    bridge: announceBridge,
  };
  if (config.remoteUsername !== undefined) options.username = config.remoteUsername;
  if (config.remotePassword !== undefined) options.password = config.remotePassword;
  if (config.notifications && !config.notificationsLocalOnly) {
    options.will = { topic: config.notificationTopic, payload: '0', qos: 1, retain: true };
  }
  if (config.protocolVersion === 5) {
    options.properties = {
      sessionExpiryInterval: config.cleanSession ? 0 : NEVER_EXPIRES,
      // What the remote may send before we acknowledge: as much as any client may send us.
      receiveMaximum: limits.maxInflightMessages,
      maximumPacketSize: limits.maxPacketSize,
    };
  }
  if (config.tls) options.tls = bridgeTlsOptions(config.tls);
  if (config.bindAddress !== undefined) options.localAddress = config.bindAddress;
  return options;
}

/**
 * Did the remote refuse the protocol level? With `try_private` that is how a broker that
 * does not know mosquitto's bridge bit answers; mosquitto then connects without it.
 */
export function refusedProtocolLevel(err: unknown): boolean {
  if (!(err instanceof ConnectionRefusedError)) return false;
  return err.protocolVersion === 5
    ? err.returnCode === ReasonCode.UnsupportedProtocolVersion
    : err.returnCode === ConnackReturnCode.UnacceptableProtocolVersion;
}

/** How a failed attempt reads in a log line: the remote's reason code, or the network error. */
export function describeFailure(err: unknown): { reasonCode?: number; reason: string } {
  if (err instanceof ConnectionRefusedError) {
    const reason = err.protocolVersion === 5 ? reasonCodeName(err.returnCode) : err.message;
    return { reasonCode: err.returnCode, reason: err.reasonString ? `${reason} (${err.reasonString})` : reason };
  }
  return { reason: err instanceof Error ? err.message : String(err) };
}

/**
 * The connection state on the remote (`notifications` without `notifications_local_only`):
 * "1", retained, once connected; the will says "0" if the connection is lost. Sent at
 * QoS 0 ahead of any queued message (a QoS 1 message would need a packet identifier of the
 * local session's, whose identifiers are those of the bridged messages).
 */
export function publishRemoteState(client: MqttClient, config: BridgeConfig, state: '0' | '1'): void {
  if (!config.notifications || config.notificationsLocalOnly || !client.connected) return;
  const retain = client.limits?.retainAvailable !== false;
  client.sendFlow({ type: PacketType.PUBLISH, topic: config.notificationTopic, payload: Buffer.from(state), qos: 0, retain, dup: false });
}
