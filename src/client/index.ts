/**
 * `midge/client`: an MQTT 3.1 / 3.1.1 / 5.0 client for mqtt:, mqtts:, ws: and wss:.
 *
 * ```ts
 * import { connect } from 'midge/client';
 * const client = await connect('mqtt://localhost:1883', { protocolVersion: 5 });
 * await client.subscribe('sensors/#', { qos: 1 });
 * await client.publish('sensors/a', '21.5', { qos: 1 });
 * for await (const message of client.messages()) console.log(message.topic, message.payload.toString());
 * ```
 *
 * The protocol logic is the I/O-free {@link SessionState}; {@link MqttClient} is the
 * socket glue around it.
 */
export { MqttClient, connect } from './client.js';
export type {
  ClientEvents, ConnectInfo, EndOptions, PacketTrace, PublishResult, SubscriptionRequest,
} from './client-types.js';
export type { ClientOptions, Payload, PublishOptions, SubscribeOptions, WillOptions } from './options.js';
export type { ClientAuthExchange, ClientAuthenticator } from './enhanced-auth.js';
export { ScramSha256, ScramSha256Exchange } from './scram.js';
export { ClientClosedError, ConnectionRefusedError, MqttClientError, ReasonCodeError } from './errors.js';
export { MemoryInflightStore, entryPacketId, type InflightEntry, type InflightStore } from './inflight-store.js';
export { reconnectDelay, shouldReconnectAfterDisconnect, shouldRetryRefusal, type ReconnectOptions } from './backoff.js';
export { SessionState, type SessionPhase, type SessionStateOptions, type Started } from './session-state.js';
export type {
  Frame, MqttMessage, PublishOutcome, PublishRequest, ServerLimits, SessionConfig, SessionEvent, SessionOutput,
} from './session-types.js';
export { PacketIdAllocator } from './packet-ids.js';
export { isFlowPacket, type FlowPacket } from './application-flows.js';
export { IncomingTopicAliases, OutgoingTopicAliases } from './topic-aliases.js';
export type { Properties, QoS, UserProperty } from '../protocol/index.js';
