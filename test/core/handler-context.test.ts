/**
 * Unit tests of packet handlers (src/broker/handlers/) on a HandlerContext of fakes: a
 * handler is `(ctx, conn, packet)` and uses only what its context gives it, so it runs
 * without a Broker. The connection is a real MqttConnection on an in-memory stream, given
 * a ConnectionCore of fakes; what it writes is decoded back.
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { AccessControl } from '../../src/broker/access-control.js';
import { PublishAdmission } from '../../src/broker/admission.js';
import { FlowControl } from '../../src/broker/flow-control.js';
import type { HandlerContext } from '../../src/broker/handlers/context.js';
import { dispatchPacket } from '../../src/broker/handlers/index.js';
import type { ConnectionCore } from '../../src/broker/connection-core.js';
import { MqttConnection } from '../../src/broker/mqtt-connection.js';
import { resolveBrokerOptions } from '../../src/broker/options.js';
import { PacketTracer } from '../../src/broker/packet-trace.js';
import { silentLogger, type Authorizer, type BrokerMessage, type SubscriptionEntry } from '../../src/broker/index.js';
import { Session } from '../../src/broker/session.js';
import { BrokerStats } from '../../src/broker/stats.js';
import { PacketFramer, PacketType, ReasonCode, decodePacket, type Packet } from '../../src/protocol/index.js';

/** A stream that keeps what the connection writes. */
function memoryStream(): { stream: Duplex; written: Buffer[] } {
  const written: Buffer[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk);
      done();
    },
  });
  return { stream, written };
}

/** Decodes every packet the connection wrote (v5). */
function packetsIn(written: Buffer[]): Packet[] {
  const packets: Packet[] = [];
  const framer = new PacketFramer(1 << 20);
  for (const chunk of written) framer.push(chunk, (first, body) => packets.push(decodePacket(first, body, 5)));
  return packets;
}

/** Publish and subscribe that record what the handlers ask of them. */
class RecordingPubSub {
  readonly published: BrokerMessage[] = [];
  readonly subscribed: string[] = [];
  readonly unsubscribed: string[] = [];
  publish(message: BrokerMessage): number {
    this.published.push(message);
    return 1;
  }
  subscribe(_session: Session, entry: SubscriptionEntry<Session>): boolean {
    this.subscribed.push(entry.filter);
    return false;
  }
  unsubscribe(_session: Session, filter: string): boolean {
    this.unsubscribed.push(filter);
    return true;
  }
  sendRetained(): void {}
}

/** Lets the client do anything but subscribe to `secret/#`. */
const noSecrets: Authorizer = {
  name: 'no-secrets',
  canPublish: () => true,
  canSubscribe: (_client, filter) => !filter.startsWith('secret/'),
  canReceive: () => true,
};

/** A HandlerContext of fakes around real access control and admission, and an open v5 connection with a session. */
function setUp(): { ctx: HandlerContext; conn: MqttConnection; pubsub: RecordingPubSub; written: Buffer[]; stats: BrokerStats } {
  const options = resolveBrokerOptions({ authorizers: [noSecrets] });
  const stats = new BrokerStats();
  const access = new AccessControl(options, silentLogger);
  const pubsub = new RecordingPubSub();
  const ctx: HandlerContext = {
    limits: options.limits, settings: options, stats, access, admission: new PublishAdmission(options, stats, access),
    logger: silentLogger, store: undefined, pubsub,
    sessions: {
      open: () => assert.fail('no CONNECT here'), acquire: () => assert.fail('no cluster here'),
      refusalFor: () => undefined, get: () => undefined, setExpiry: () => {},
    },
    connectionOpened: () => {}, connectRefused: () => {}, reservedFor: () => undefined, reportError: (err) => assert.fail(String(err)),
  };
  const core: ConnectionCore<MqttConnection> = {
    limits: options.limits, stats, tracer: new PacketTracer(silentLogger, { packetsPerSecond: 50, maxDumpBytes: 256 }, []),
    dispatch: (conn, packet) => dispatchPacket(ctx, conn, packet),
    reportError: (err) => assert.fail(String(err)), connectionClosed: () => {},
  };
  const { stream, written } = memoryStream();
  const conn = new MqttConnection(core, stream, {
    listener: 'test', transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 1, encrypted: false, confidential: false, certificate: undefined, security: undefined,
  });
  conn.protocolVersion = 5;
  conn.clientId = 'c';
  conn.principal = { clientId: 'c', username: undefined, listener: 'test' };
  const flow = new FlowControl({ highWaterMark: 1 << 20, lowWaterMark: 1 << 19, maxQueuedBytesTotal: Infinity, slowConsumerTimeoutMs: 5000, disconnectSlowConsumers: false }, silentLogger);
  conn.session = new Session('c', 5, 0, { inflightWindow: 10, maxQueuedMessages: 100, maxQueuedBytes: Infinity }, undefined, { dropped() {}, withheld() {}, mayReceive: () => true, readVersion: () => undefined, flow });
  conn.state = 'open';
  return { ctx, conn, pubsub, written, stats };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('packet handlers on a context of fakes', () => {
  it('answers a SUBSCRIBE with one reason code per filter in order, Not authorized for the one access control refuses, and subscribes only the others [MQTT-3.9.3-1]', async () => {
    const { ctx, conn, pubsub, written } = setUp();
    await dispatchPacket(ctx, conn, {
      type: PacketType.SUBSCRIBE, packetId: 7,
      subscriptions: [{ topicFilter: 'a/#', qos: 1 }, { topicFilter: 'secret/x', qos: 1 }, { topicFilter: 'b', qos: 2 }],
    });
    await nextTurn();
    assert.deepEqual(pubsub.subscribed, ['a/#', 'b']);
    const [suback] = packetsIn(written);
    assert.equal(suback?.type, PacketType.SUBACK);
    assert.deepEqual(suback.type === PacketType.SUBACK && suback.reasonCodes, [1, ReasonCode.NotAuthorized, 2]);
  });

  it('routes a QoS 1 PUBLISH through the context and acknowledges it with a PUBACK carrying its packet id', async () => {
    const { ctx, conn, pubsub, written, stats } = setUp();
    await dispatchPacket(ctx, conn, { type: PacketType.PUBLISH, topic: 't/1', payload: Buffer.from('hi'), qos: 1, retain: false, dup: false, packetId: 9 });
    await nextTurn();
    assert.deepEqual(pubsub.published.map((m) => [m.topic, m.payload.toString(), m.origin]), [['t/1', 'hi', 'c']]);
    assert.equal(stats.publishReceived, 1);
    const [puback] = packetsIn(written);
    assert.deepEqual(puback && puback.type === PacketType.PUBACK && [puback.packetId, puback.reasonCode ?? 0], [9, ReasonCode.Success]);
  });

  it('refuses a PUBLISH deeper than max_topic_levels before it reaches publish/subscribe', async () => {
    const { ctx, conn, pubsub } = setUp();
    const deep = Array.from({ length: ctx.limits.maxTopicLevels + 1 }, () => 'x').join('/');
    assert.throws(() => dispatchPacket(ctx, conn, { type: PacketType.PUBLISH, topic: deep, payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }),
      (err: unknown) => (err as { reasonCode?: number }).reasonCode === ReasonCode.TopicNameInvalid);
    assert.equal(pubsub.published.length, 0);
  });

  it('removes each filter of an UNSUBSCRIBE through the context and answers UNSUBACK in order [MQTT-3.11.3-1]', async () => {
    const { ctx, conn, pubsub, written } = setUp();
    await dispatchPacket(ctx, conn, { type: PacketType.UNSUBSCRIBE, packetId: 3, topicFilters: ['a/#', 'b'] });
    await nextTurn();
    assert.deepEqual(pubsub.unsubscribed, ['a/#', 'b']);
    const [unsuback] = packetsIn(written);
    assert.deepEqual(unsuback && unsuback.type === PacketType.UNSUBACK && unsuback.reasonCodes, [ReasonCode.Success, ReasonCode.Success]);
  });
});
