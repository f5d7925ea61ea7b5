/**
 * Messages a bridge brings in from the remote enter the local broker as any client's do:
 * through the publish admission (limits, counted drops) and flow control (a subscriber
 * that catches up holds the remote back rather than lose messages), with an identity no
 * ACL restricts; and a QoS 2 packet id refused with a failure PUBREC is free again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { connect } from '../../src/client/index.js';
import { PacketType, ReasonCode, type Packet } from '../../src/protocol/index.js';
import { startFakeServer, type FakeConnection } from '../client/fake-server.js';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto } from '../helpers/mosquitto.js';
import { bridgeConnected, eventually, Started } from './helpers.js';

const started = new Started();
after(() => started.close());

function bridgeTo(port: number, extra: string[]): string[] {
  return ['connection cloud', `address 127.0.0.1:${port}`, 'remote_clientid edge-in', 'restart_timeout 1', ...extra];
}

/** A client of the remote broker that publishes. */
async function remotePublisher(port: number) {
  const client = await connect(`mqtt://127.0.0.1:${port}`, { reconnect: false, protocolVersion: 5 });
  started.add(() => client.end({ timeoutMs: 200 }));
  return client;
}

/** Reads packets from the bridge until one matches. */
async function nextOf<T extends Packet>(conn: FakeConnection, match: (p: Packet) => p is T): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const packet = await conn.next(5000);
    if (match(packet)) return packet;
  }
  assert.fail('the bridge did not send the packet expected');
}

describe('messages a bridge brings in', () => {
  test("pass the local broker's admission: one over message_size_limit is dropped, counted and logged, the others arrive, ACLs aside", async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const cloud = await startMosquitto();
    started.add(() => cloud.stop());
    const dir = mkdtempSync(join(tmpdir(), 'midge-bridge-acl-'));
    started.add(async () => rmSync(dir, { recursive: true, force: true }));
    const acl = join(dir, 'acl');
    // Anonymous clients may read in/# and write nothing: the bridge is not restricted by it.
    writeFileSync(acl, 'topic read in/#\n');
    const edge = await started.midge(['message_size_limit 100', `acl_file ${acl}`, ...bridgeTo(cloud.port, ['bridge_protocol_version mqttv50', 'topic in/# in 1'])]);
    await bridgeConnected(edge.server);
    const local = await started.watch(edge.port, 'in/#', { qos: 1 });
    const remote = await remotePublisher(cloud.port);
    await remote.publish('in/a', 'small-1', { qos: 1 });
    await remote.publish('in/a', Buffer.alloc(200, 0x61), { qos: 1 });
    await remote.publish('in/a', 'small-2', { qos: 1 });
    await local.waitFor(2);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(local.payloads(), ['small-1', 'small-2'], 'the message over the limit was not published here; the others were');
    const status = edge.server.bridges.status()[0]!;
    assert.equal(status.messagesReceived, 2);
    assert.equal(status.messagesDropped, 1, 'the bridge counts the drop');
    assert.equal(edge.server.broker.stats.droppedByReason.get('payload-too-large'), 1, 'the broker counts it as any client drop');
    const line = edge.records.find((r) => r.message === 'message from the remote broker dropped');
    assert.deepEqual([line?.fields.bridge, line?.fields.topic, line?.fields.bytes], ['cloud', 'in/a', 200]);
  });

  test('hold the remote back while a local subscriber catches up: every one of 300 messages arrives, in order, none dropped', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const count = 300;
    const cloud = await startMosquitto('max_queued_messages 100000');
    started.add(() => cloud.stop());
    // Five in flight and twenty queued for the subscriber: without flow control most of the stream would be dropped.
    const edge = await started.midge([
      'max_inflight_messages 5', 'max_queued_messages 20', 'slow_consumer_timeout 60', ...bridgeTo(cloud.port, ['topic in/# in 1']),
    ]);
    await bridgeConnected(edge.server);
    const local = await started.watch(edge.port, 'in/#', { qos: 1 });
    const resume = local.client.pauseInput();
    const remote = await remotePublisher(cloud.port);
    await Promise.all(Array.from({ length: count }, (_, i) => remote.publish('in/flow', String(i), { qos: 1 })));
    const broker = edge.server.broker;
    await eventually(() => broker.flow.stats().publishersPaused > 0, 'the bridge is paused by flow control');
    resume();
    await local.waitFor(count, undefined, 30_000);
    assert.deepEqual(local.payloads().map(Number), Array.from({ length: count }, (_, i) => i), 'every message, in order');
    assert.equal(broker.stats.droppedByReason.get('queue-full') ?? 0, 0, 'nothing was dropped for the subscriber');
    assert.equal(edge.server.bridges.status()[0]!.messagesDropped, 0);
  });

  test('a QoS 2 packet id refused with a failure PUBREC is free for the next message of the remote', async () => {
    const fake = await startFakeServer();
    started.add(() => fake.close());
    const edge = await started.midge(['message_size_limit 100', ...bridgeTo(fake.port, ['bridge_protocol_version mqttv50', 'notifications false', 'topic in/# in 2'])]);
    const local = await started.watch(edge.port, 'in/#', { qos: 2 });
    const conn = await fake.accept(10_000);
    const pubrec = (p: Packet): p is Extract<Packet, { type: typeof PacketType.PUBREC }> => p.type === PacketType.PUBREC;
    conn.send({ type: PacketType.PUBLISH, topic: 'in/x', payload: Buffer.alloc(200), qos: 2, retain: false, dup: false, packetId: 7 });
    const refused = await nextOf(conn, pubrec);
    assert.deepEqual([refused.packetId, refused.reasonCode], [7, ReasonCode.QuotaExceeded], 'a v5 remote is told why');
    conn.send({ type: PacketType.PUBLISH, topic: 'in/x', payload: Buffer.from('fresh'), qos: 2, retain: false, dup: false, packetId: 7 });
    const accepted = await nextOf(conn, pubrec);
    assert.equal(accepted.packetId, 7);
    assert.ok((accepted.reasonCode ?? 0) === ReasonCode.Success);
    conn.send({ type: PacketType.PUBREL, packetId: 7 });
    const pubcomp = await nextOf(conn, (p): p is Extract<Packet, { type: typeof PacketType.PUBCOMP }> => p.type === PacketType.PUBCOMP);
    assert.equal(pubcomp.packetId, 7);
    await local.waitFor(1);
    assert.deepEqual(local.payloads(), ['fresh'], 'the new message with the freed id was published, once');
  });
});
