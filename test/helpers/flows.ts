import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  PacketType, type PacketOf, type Properties, type PublishPacket, type QoS, type Subscription,
} from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from './midge.js';
import { RawClient, type RawConnectOptions } from './raw-client.js';

/**
 * Protocol flows on top of {@link RawClient} for conformance tests: connect,
 * subscribe, publish at any QoS and receive with or without acknowledging, each
 * step checking what the broker answers. Every wait is bounded by RawClient's timeout.
 */

const packetIds = new WeakMap<RawClient, number>();

/** A fresh packet id for a packet the test client sends (1, 2, ... per client). */
export function nextPacketId(client: RawClient): number {
  const id = (packetIds.get(client) ?? 0) % 65535 + 1;
  packetIds.set(client, id);
  return id;
}

let unique = 0;

/** A name no other test in this process uses, for client ids and topics. */
export function uniq(prefix: string): string {
  unique++;
  return `${prefix}-${process.pid}-${unique}`;
}

/** Connects and checks the CONNACK accepts the connection. */
export async function connect(port: number, options: RawConnectOptions = {}): Promise<RawClient> {
  const { client, connack } = await RawClient.connect(port, options);
  assert.equal(connack.reasonCode, 0, `CONNACK refused the connection: ${JSON.stringify(connack)}`);
  return client;
}

/** A filter to subscribe: a bare filter (QoS 2), `[filter, qos]`, or a full v5 subscription. */
export type SubscriptionSpec = string | readonly [string, QoS] | Subscription;

function toSubscription(spec: SubscriptionSpec): Subscription {
  if (typeof spec === 'string') return { topicFilter: spec, qos: 2 };
  if (Array.isArray(spec)) return { topicFilter: spec[0] as string, qos: spec[1] as QoS };
  return spec as Subscription;
}

/** Subscribes; returns the SUBACK's reason codes after checking its packet id [MQTT-3.8.4-2]. */
export async function subscribe(client: RawClient, specs: readonly SubscriptionSpec[], properties?: Properties): Promise<number[]> {
  const packetId = nextPacketId(client);
  client.send({ type: PacketType.SUBSCRIBE, packetId, subscriptions: specs.map(toSubscription), properties });
  const suback = await client.waitForPacket(PacketType.SUBACK);
  assert.equal(suback.packetId, packetId, 'SUBACK carries the SUBSCRIBE packet id');
  return suback.reasonCodes;
}

/** Unsubscribes; returns the UNSUBACK after checking its packet id. */
export async function unsubscribe(client: RawClient, filters: string[]): Promise<PacketOf<typeof PacketType.UNSUBACK>> {
  const packetId = nextPacketId(client);
  client.send({ type: PacketType.UNSUBSCRIBE, packetId, topicFilters: filters });
  const unsuback = await client.waitForPacket(PacketType.UNSUBACK);
  assert.equal(unsuback.packetId, packetId, 'UNSUBACK carries the UNSUBSCRIBE packet id');
  return unsuback;
}

/** Options of {@link publish}. */
export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  dup?: boolean;
  packetId?: number;
  properties?: Properties;
}

/**
 * Publishes and completes the QoS flow: waits for PUBACK (QoS 1), or PUBREC, sends
 * PUBREL and waits for PUBCOMP (QoS 2). Returns the v5 reason code of the PUBACK or
 * PUBREC (0 when absent), undefined for QoS 0.
 */
export async function publish(client: RawClient, topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<number | undefined> {
  const qos = options.qos ?? 0;
  const packetId = qos > 0 ? (options.packetId ?? nextPacketId(client)) : undefined;
  client.send({
    type: PacketType.PUBLISH, topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), qos,
    retain: options.retain ?? false, dup: options.dup ?? false, packetId, properties: options.properties,
  });
  if (qos === 0) return undefined;
  if (qos === 1) {
    const puback = await client.waitForPacket(PacketType.PUBACK);
    assert.equal(puback.packetId, packetId, 'PUBACK carries the PUBLISH packet id');
    return puback.reasonCode ?? 0;
  }
  const pubrec = await client.waitForPacket(PacketType.PUBREC);
  assert.equal(pubrec.packetId, packetId, 'PUBREC carries the PUBLISH packet id');
  if ((pubrec.reasonCode ?? 0) >= 0x80) return pubrec.reasonCode;
  client.send({ type: PacketType.PUBREL, packetId: packetId! });
  const pubcomp = await client.waitForPacket(PacketType.PUBCOMP);
  assert.equal(pubcomp.packetId, packetId, 'PUBCOMP carries the PUBREL packet id');
  return pubrec.reasonCode ?? 0;
}

/** Options of {@link receive}. */
export interface ReceiveOptions {
  /** Acknowledge as a well-behaved client does (default true). */
  ack?: boolean;
  timeoutMs?: number;
}

/**
 * Takes the next `count` PUBLISH packets. With `ack` (the default) it answers each
 * as a client must (PUBACK; PUBREC, then PUBCOMP for the PUBREL) and, for QoS 2,
 * waits until every PUBREL has arrived, leaving later PUBLISH packets for the next
 * call. Any other packet fails the wait.
 */
export async function receive(client: RawClient, count: number, options: ReceiveOptions = {}): Promise<PublishPacket[]> {
  const ack = options.ack ?? true;
  const out: PublishPacket[] = [];
  const awaitingRelease = new Set<number>();
  while (out.length < count) {
    const packet = await client.next(options.timeoutMs);
    if (packet.type === PacketType.PUBREL && ack) {
      assert.ok(awaitingRelease.delete(packet.packetId), `PUBREL for unknown packet id ${packet.packetId}`);
      client.send({ type: PacketType.PUBCOMP, packetId: packet.packetId });
      continue;
    }
    assert.equal(packet.type, PacketType.PUBLISH, `expected PUBLISH, got ${JSON.stringify(packet)}`);
    const publish = packet as PublishPacket;
    out.push(publish);
    if (!ack || publish.qos === 0) continue;
    if (publish.qos === 1) {
      client.send({ type: PacketType.PUBACK, packetId: publish.packetId! });
    } else {
      awaitingRelease.add(publish.packetId!);
      client.send({ type: PacketType.PUBREC, packetId: publish.packetId! });
    }
  }
  // Later PUBLISH packets stay queued for the next call; only the PUBRELs are taken.
  while (awaitingRelease.size > 0) {
    const pubrel = await client.waitForPacket(PacketType.PUBREL, options.timeoutMs);
    assert.ok(awaitingRelease.delete(pubrel.packetId), `PUBREL for unknown packet id ${pubrel.packetId}`);
    client.send({ type: PacketType.PUBCOMP, packetId: pubrel.packetId });
  }
  return out;
}

/** The payloads of received publishes as strings. */
export function payloads(publishes: readonly PublishPacket[]): string[] {
  return publishes.map((p) => p.payload.toString());
}

/** Ends the connection with DISCONNECT, as a well-behaved client does. */
export async function disconnect(client: RawClient): Promise<void> {
  client.send({ type: PacketType.DISCONNECT });
  await client.waitClosed();
}

/**
 * Checks that the broker serves a new client normally: connect, subscribe at QoS 1,
 * publish at QoS 1 and receive the message back.
 */
export async function assertServesNewClient(port: number, version: 4 | 5 = 4): Promise<void> {
  const client = await connect(port, { version, clientId: uniq('healthy') });
  const topic = uniq('healthy/topic');
  assert.deepEqual(await subscribe(client, [[topic, 1]]), [1]);
  await publish(client, topic, 'still serving', { qos: 1 });
  const [message] = await receive(client, 1);
  assert.equal(message!.payload.toString(), 'still serving');
  await disconnect(client);
}

/** Polls until `condition` holds; fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A broker started before a suite's tests with a publisher connected to it, both
 * stopped after them; `use` receives them once they are up.
 */
export function brokerWithPublisher(version: 4 | 5, use: (midge: InProcessMidge, pub: RawClient) => void): void {
  let midge: InProcessMidge | undefined;
  let pub: RawClient | undefined;
  before(async () => {
    midge = await startMidge();
    pub = await connect(midge.port, { version, clientId: uniq(version === 5 ? 'pub5' : 'pub') });
    use(midge, pub);
  });
  after(async () => {
    if (pub) await disconnect(pub);
    await midge?.stop();
  });
}
